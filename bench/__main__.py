"""``python -m bench``: every benchmark pair side by side, one table of ratios (bench/suite.py)."""

from __future__ import annotations

import sys

from bench.suite import main

if __name__ == "__main__":
    sys.exit(main())
