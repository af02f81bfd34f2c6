"""Seeded data and the tools that load it: the demo's supply chains, and synthetic ones at scale."""
