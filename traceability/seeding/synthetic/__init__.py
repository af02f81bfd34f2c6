"""Synthetic Vietnamese supply chains at any scale, for `traceability seed`."""
