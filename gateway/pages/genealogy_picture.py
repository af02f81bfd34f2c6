"""A lot's genealogy or recall scope (:class:`~traceability.services.trace.maps.TraceMap`) as a
picture in the reader's language: what each box and arrow says, and how it is marked. The
drawing itself is :mod:`traceability.printing.genealogy_svg`."""

from __future__ import annotations

from functools import partial

from gateway.pages.inspector_messages import inspector_message
from gateway.pages.messages import Lang, biz_step_name
from gateway.pages.render import format_quantity
from traceability.printing.genealogy_svg import (
    XML_DECLARATION,
    Arrow,
    Box,
    Mark,
    Picture,
    genealogy_svg,
)
from traceability.services.trace.maps import TraceMap, Visit
from traceability.services.trace.results import TraceEdge, TraceNode

SVG_MEDIA_TYPE = "image/svg+xml"


def picture_of(view: TraceMap, lang: Lang, *, recall: bool = False) -> Picture:
    """The trace as drawn: the lot marked as traced (or, for a recall, recalled, and all the
    rest marked affected)."""
    t = partial(inspector_message, lang)
    product = view.lot.product_name or t("box.unknown_product")
    heading = "picture.heading.recall" if recall else f"picture.heading.{view.direction}"
    around: Mark = "affected" if recall else "plain"
    boxes = [
        _node_box(node, view, lang, "recalled" if recall else "traced")
        if node.id == view.lot.id
        else _node_box(node, view, lang, around)
        for node in view.nodes
    ]
    places: dict[str, Box] = {}
    for visit in view.visits:
        places.setdefault(_place_id(visit), _place_box(visit, lang, around))
    legend: tuple[tuple[Mark, str], ...] = (
        (("recalled", t("legend.recalled")), ("affected", t("legend.affected")))
        if recall
        else (("traced", t("legend.traced")), ("plain", t("legend.plain")))
    )
    return Picture(
        heading=t(heading, lot=view.lot.lot or view.lot.id, product=product),
        boxes=(*boxes, *places.values()),
        arrows=(
            *(Arrow(e.parent, e.child, _edge_label(e, lang)) for e in view.edges),
            *(Arrow(v.node, _place_id(v), _visit_label(v, lang)) for v in view.visits),
        ),
        legend=legend,
        warning=t("picture.truncated", max=view.max_nodes) if view.truncated else None,
        description=t("picture.description"),
    )


def svg_document(view: TraceMap, lang: Lang, *, recall: bool = False) -> bytes:
    """The picture as a standalone SVG file."""
    ids = "recall" if recall else "trace"
    return (XML_DECLARATION + genealogy_svg(picture_of(view, lang, recall=recall), ids)).encode()


def inline_svg(view: TraceMap, lang: Lang, *, recall: bool = False) -> str:
    """The picture as an ``<svg>`` element to put inside an HTML page (all its text escaped)."""
    ids = "recall" if recall else "trace"
    return genealogy_svg(picture_of(view, lang, recall=recall), ids)


def _place_id(visit: Visit) -> str:
    return f"place:{visit.place.gln}"


def _node_box(node: TraceNode, view: TraceMap, lang: Lang, mark: Mark) -> Box:
    t = partial(inspector_message, lang)
    owner = node.owner_name or t("box.unknown_owner")
    province = view.province_of(node.owner_id) or t("box.unknown_province")
    if node.kind == "logistic_unit":
        lines = (f"SSCC {node.sscc or node.id}", owner, province)
        return Box(node.id, t("box.unit"), lines, "unit", mark)
    lot_line = t("box.lot", lot=node.lot or node.id)
    quantity = format_quantity(node.quantity, node.unit, lang)
    return Box(
        node.id,
        node.product_name or t("box.unknown_product"),
        (f"{lot_line} · {quantity}" if quantity else lot_line, owner, province),
        "lot",
        mark,
    )


def _place_box(visit: Visit, lang: Lang, mark: Mark) -> Box:
    t = partial(inspector_message, lang)
    place = visit.place
    return Box(
        _place_id(visit),
        place.name or t("box.place", gln=place.gln),
        (
            place.organization_name or t("box.unknown_owner"),
            place.province or t("box.unknown_province"),
        ),
        "place",
        mark,
    )


def _edge_label(edge: TraceEdge, lang: Lang) -> str:
    return biz_step_name(edge.biz_step, lang) or inspector_message(lang, f"edge.{edge.kind}")


def _visit_label(visit: Visit, lang: Lang) -> str:
    return biz_step_name(visit.place.biz_step, lang) or inspector_message(lang, "edge.visit")
