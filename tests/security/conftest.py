"""The attacks go through HTTP, with the gateway tests' client over the test's Portal."""

from __future__ import annotations

from tests.gateway.conftest import client

__all__ = ["client"]
