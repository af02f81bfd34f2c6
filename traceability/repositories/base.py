"""What every repository shares: the session it works in and the dialect it talks to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name

    @property
    def locks_rows(self) -> bool:
        """PostgreSQL locks rows; SQLite's writer already holds the whole database."""
        return self.dialect != "sqlite"
