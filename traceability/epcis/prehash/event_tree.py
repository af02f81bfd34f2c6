"""Steps 2 and 3: an EPCIS event as a tree of ``(name, text, children)`` nodes.

A unit of a typed list (bizTransaction / source / destination element) is a node with an empty
name and text whose children are its two members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from traceability.epcis.prehash.jsonld_context import Context

Node = tuple[str, str, list["Node"]]

# Members never part of the tree (at any depth).
_SKIPPED_MEMBERS: Final = frozenset({"#text", "rdfs:comment", "comment", "@context"})
# An object with one of these members keeps its members in document order (no sorting).
ORDERED_MEMBERS: Final = ("bizTransaction", "source", "destination")
_TYPED_LISTS: Final = frozenset({"bizTransactionList", "sourceList", "destinationList"})


class TreeBuilder:
    __slots__ = ("key_prefixes", "replacements", "value_prefixes")

    def __init__(self, ctx: Context, replacements: Mapping[str, str]) -> None:
        self.key_prefixes = ctx.key_prefixes
        self.value_prefixes = ctx.value_prefixes
        self.replacements = replacements

    def scalar(self, value: Any) -> str:
        if not isinstance(value, str):
            return str(value)
        text: str = self.replacements.get(value, value)
        prefix, colon, rest = text.partition(":")
        if colon:
            namespace = self.value_prefixes.get(prefix)
            if namespace is not None:
                return namespace + rest
        return text

    def node(self, value: Any) -> Node:
        if isinstance(value, str):
            return ("", self.scalar(value), [])
        if isinstance(value, (dict, Mapping)):
            return self.object_node(value)
        if isinstance(value, (list, tuple)):
            children = [self.node(item) for item in value]
            replacements = self.replacements
            if not any(
                isinstance(item, str) and replacements.get(item, item) in ORDERED_MEMBERS
                for item in value
            ):
                children.sort()
            return ("", "", children)
        return ("", self.scalar(value), [])

    def object_node(self, obj: Mapping[str, Any]) -> Node:
        children: list[Node] = []
        append = children.append
        key_prefixes = self.key_prefixes
        for key, value in obj.items():
            if key in _SKIPPED_MEMBERS or key.startswith("@xmlns"):
                continue
            name = key
            if ":" in key:
                prefix, _, local = key.partition(":")
                namespace = key_prefixes.get(prefix)
                if namespace is not None:
                    name = namespace + local
            if isinstance(value, str):
                append((name, self.scalar(value), []))
            elif isinstance(value, (list, tuple)):
                for item in self.node(value)[2]:
                    append((name, item[1], item[2]))
            elif isinstance(value, (dict, Mapping)):
                nested = self.object_node(value)
                append((name, nested[1], nested[2]))
            else:
                append((name, str(value), []))
        if not any(member in obj for member in ORDERED_MEMBERS):
            children.sort()
        kind = obj.get("type", "")
        kind = self.replacements.get(kind, kind) if isinstance(kind, str) else str(kind)
        text = obj.get("#text", "")
        text = self.replacements.get(text, text) if isinstance(text, str) else str(text)
        return (kind, text, children)


_LEAF_RENAMES: Final = {
    "inputEPC": "epc",
    "outputEPC": "epc",
    "inputQuantity": "quantityElement",
    "outputQuantity": "quantityElement",
    "childQuantity": "quantityElement",
}


def regroup(node: Node) -> Node:
    """Nest ``*List`` members the way the XML binding does (``epcList`` → ``epc`` children ...)."""
    name, text, children = node
    kept: list[Node] = []
    groups: dict[str, list[Node]] = {}
    child_epcs: list[Node] = []
    for child in children:
        child_name = child[0]
        if child_name.endswith("List"):
            groups.setdefault(child_name, []).append((child_name[:-4], child[1], child[2]))
        elif child_name == "childEPCs":
            child_epcs.append(("epc", child[1], []))
        elif child[2]:
            kept.append(regroup(child))
        else:
            renamed = _LEAF_RENAMES.get(child_name)
            kept.append(child if renamed is None else (renamed, child[1], child[2]))
    for list_name, elements in groups.items():
        if list_name in _TYPED_LISTS:
            units: list[Node] = [("", "", element[2][:2]) for element in elements]
            kept.append((list_name, "", units))
        else:
            kept.append(regroup((list_name, "", elements)))
    if child_epcs:
        kept.append(regroup(("childEPCs", "", child_epcs)))
    if name in _LEAF_RENAMES:
        name = _LEAF_RENAMES[name]
    elif name == "quantity" and kept:
        name = "quantityElement"
    return (name, text, kept)
