"""Query subscriptions and their outbox of webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update

from traceability.db.models import QuerySubscription, SubscriptionDelivery
from traceability.repositories.base import Repository


def _unheld(now: datetime) -> ColumnElement[bool]:
    return or_(
        SubscriptionDelivery.claimed_by.is_(None),
        SubscriptionDelivery.claimed_until.is_(None),
        SubscriptionDelivery.claimed_until < now,
    )


class SubscriptionRepository(Repository):
    async def add(self, subscription: QuerySubscription) -> QuerySubscription:
        self.session.add(subscription)
        await self.session.flush()
        return subscription

    async def get(self, subscription_id: str) -> QuerySubscription | None:
        return await self.session.get(QuerySubscription, subscription_id)

    async def lock(self, subscription_id: str) -> QuerySubscription | None:
        """The subscription's row, locked until the transaction ends: one poller at a time
        moves its cursor (SQLite's writer is one already)."""
        result = await self.session.execute(
            select(QuerySubscription)
            .where(QuerySubscription.id == subscription_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def page_of(
        self, organization_id: str, query_name: str, after: str | None, limit: int
    ) -> tuple[list[QuerySubscription], str | None]:
        stmt = select(QuerySubscription).where(
            QuerySubscription.organization_id == organization_id,
            QuerySubscription.query_name == query_name,
        )
        return await self._page(stmt, QuerySubscription.id, after, limit)

    async def delete(self, subscription_id: str) -> None:
        await self.session.execute(
            delete(SubscriptionDelivery).where(
                SubscriptionDelivery.subscription_id == subscription_id
            )
        )
        await self.session.execute(
            delete(QuerySubscription).where(QuerySubscription.id == subscription_id)
        )

    async def due_ids(self, now: datetime, newest_log_index: int) -> list[str]:
        """Subscriptions to look at now: each stream with events past its cursor, and each
        schedule whose time came."""
        result = await self.session.execute(
            select(QuerySubscription.id).where(
                or_(
                    and_(
                        QuerySubscription.stream.is_(True),
                        QuerySubscription.cursor < newest_log_index,
                    ),
                    QuerySubscription.next_run_at <= now,
                )
            )
        )
        return list(result.scalars())

    async def any_due(self, now: datetime) -> bool:
        """Whether some pending delivery's time has come (a read, before claiming in a write)."""
        result = await self.session.execute(
            select(SubscriptionDelivery.id)
            .where(
                SubscriptionDelivery.status == "pending",
                SubscriptionDelivery.next_attempt_at <= now,
                _unheld(now),
            )
            .limit(1)
        )
        return result.first() is not None

    async def advance(
        self, subscription_id: str, cursor: int, next_run_at: datetime | None, ran_at: datetime
    ) -> None:
        await self.session.execute(
            update(QuerySubscription)
            .where(QuerySubscription.id == subscription_id)
            .values(cursor=cursor, next_run_at=next_run_at, last_run_at=ran_at)
        )

    async def notified(self, subscription_id: str, at: datetime) -> None:
        await self.session.execute(
            update(QuerySubscription)
            .where(QuerySubscription.id == subscription_id)
            .values(last_notified_at=at)
        )

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(SubscriptionDelivery), list(rows))

    async def claim_due(
        self, runner: str, now: datetime, until: datetime, limit: int
    ) -> list[SubscriptionDelivery]:
        """Claim up to ``limit`` pending deliveries whose time has come and no live deliverer
        holds, for ``runner``. Each claim is a conditional UPDATE, so of two deliverers
        claiming one row only one gets it."""
        result = await self.session.execute(
            select(SubscriptionDelivery.id)
            .where(
                SubscriptionDelivery.status == "pending",
                SubscriptionDelivery.next_attempt_at <= now,
                _unheld(now),
            )
            .order_by(SubscriptionDelivery.id)
            .limit(limit)
        )
        ids = list(result.scalars())
        if not ids:
            return []
        await self.session.execute(
            update(SubscriptionDelivery)
            .where(
                SubscriptionDelivery.id.in_(ids),
                SubscriptionDelivery.status == "pending",
                _unheld(now),
            )
            .values(claimed_by=runner, claimed_until=until)
        )
        claimed = await self.session.execute(
            select(SubscriptionDelivery)
            .where(SubscriptionDelivery.id.in_(ids), SubscriptionDelivery.claimed_by == runner)
            .order_by(SubscriptionDelivery.id)
            .execution_options(populate_existing=True)
        )
        return list(claimed.scalars())

    async def settle(self, delivery_id: int, runner: str, **values: Any) -> bool:
        """Record a try's outcome, only while ``runner`` still holds the delivery."""
        result = await self.session.execute(
            update(SubscriptionDelivery)
            .where(
                SubscriptionDelivery.id == delivery_id,
                SubscriptionDelivery.claimed_by == runner,
                SubscriptionDelivery.status == "pending",
            )
            .values(claimed_by=None, claimed_until=None, **values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def counts(self, subscription_id: str) -> dict[str, int]:
        result = await self.session.execute(
            select(SubscriptionDelivery.status, func.count())
            .where(SubscriptionDelivery.subscription_id == subscription_id)
            .group_by(SubscriptionDelivery.status)
        )
        return {status: int(count) for status, count in result.all()}

    async def dead_letters(self, subscription_id: str, limit: int) -> list[SubscriptionDelivery]:
        result = await self.session.execute(
            select(SubscriptionDelivery)
            .where(
                SubscriptionDelivery.subscription_id == subscription_id,
                SubscriptionDelivery.status == "dead",
            )
            .order_by(SubscriptionDelivery.id.desc())
            .limit(limit)
        )
        return list(result.scalars())
