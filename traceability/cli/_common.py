"""What several commands share: the consoles, the error exits, the portal client."""

from __future__ import annotations

import typer
from rich.console import Console, ConsoleDimensions
from rich.text import Text

from traceability.client import PortalClient
from traceability.config import Settings

# Off a terminal, lines are never broken: 80 columns would split an event id, a key or a URL
# that a script, a log file or a person copying it needs whole.
_UNWRAPPED_WIDTH = 1_000_000


class _Console(Console):
    """A rich console that wraps to the terminal, and not at all when it writes elsewhere."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal:
            return size
        return ConsoleDimensions(_UNWRAPPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console()
errors = _Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Exit status 2 after an error line (the message may hold rich markup)."""
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def error_exit(message: str, code: int = 2) -> typer.Exit:
    """Exit with ``code`` after an error line printed as is, wrapped softly."""
    errors.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(code=code)


def portal_client(settings: Settings) -> PortalClient:
    """A client of the portal's API as the organisation whose key TRACE_API_KEY holds."""
    if not settings.api_key:
        raise fail("set TRACE_API_KEY to your organisation's API key")
    return PortalClient(settings.api_url or settings.base_url, settings.api_key)
