"""``python -m traceability.cli``: the console script, for a checkout without it installed."""

from traceability.cli import main

main()
