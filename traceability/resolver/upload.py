"""What a bulk upload of links would do to the links stored: add, change or leave each one.

An upload only adds links and changes the ones it names (by identity, see
traceability.resolver.links); it never removes or alters a link it does not name. A
row that is wrong, or that would leave an anchor with two default links, refuses the whole
upload: the caller gets every such row with its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from traceability.resolver.links import LinkIdentity, LinkSpec

Outcome = Literal["added", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1 for the first link of the upload (a CSV's first line after its header)
    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class RowPlan:
    row: int
    link: LinkSpec
    outcome: Outcome


def plan_upload(
    stored: Sequence[LinkSpec], rows: Sequence[tuple[int, LinkSpec]]
) -> tuple[list[RowPlan], list[RowError]]:
    """Each row's outcome against the ``stored`` links, and the rows that cannot be."""
    by_identity: dict[LinkIdentity, LinkSpec] = {link.identity: link for link in stored}
    plans: list[RowPlan] = []
    errors: list[RowError] = []
    seen: dict[LinkIdentity, int] = {}
    for number, link in rows:
        if link.identity in seen:
            errors.append(
                RowError(
                    number,
                    None,
                    f"the same link as row {seen[link.identity]} (anchor, linkType, "
                    "hreflang, type and context)",
                )
            )
            continue
        seen[link.identity] = number
        before = by_identity.get(link.identity)
        outcome: Outcome = (
            "added" if before is None else "unchanged" if before.same_target(link) else "changed"
        )
        plans.append(RowPlan(number, link, outcome))
        by_identity[link.identity] = link
    errors.extend(_second_defaults(by_identity, plans))
    return plans, sorted(errors, key=lambda e: e.row)


def _second_defaults(after: dict[LinkIdentity, LinkSpec], plans: list[RowPlan]) -> list[RowError]:
    """Rows that would leave their anchor with more than one default link."""
    defaults: dict[str, list[LinkSpec]] = {}
    for link in after.values():
        if link.is_default:
            defaults.setdefault(link.anchor.key, []).append(link)
    return [
        RowError(
            plan.row,
            "default",
            f"{plan.link.anchor.key} would have {len(defaults[plan.link.anchor.key])} default "
            "links; an anchor has at most one",
        )
        for plan in plans
        if plan.link.is_default and len(defaults[plan.link.anchor.key]) > 1
    ]
