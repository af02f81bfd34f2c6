"""Realistic demo data: Vietnamese supply chains of rice, coffee and pangasius."""

from traceability.demo.seed import DemoOrganization, DemoSummary, seed_demo

__all__ = ["DemoOrganization", "DemoSummary", "seed_demo"]
