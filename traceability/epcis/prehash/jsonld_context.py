"""What a document's ``@context`` adds, and step 1: the bare-word replacement table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from traceability.epcis.prehash.cbv_vocabulary import (
    CBV,
    DROPPED,
    EPCIS_PREFIXES,
    EPCIS_SCOPE,
    ID_ALIAS,
    IRI,
    LITERAL,
    TYPE_ALIAS,
    VOC,
    VOCAB,
    Term,
)
from traceability.errors import InvalidInput

_VOCAB_IRI_PREFIXES: Final = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")
_GEN_DELIMS: Final = frozenset(":/?#[]@")


class Context:
    """What a document's ``@context`` contributes: name prefixes and extra JSON-LD terms."""

    __slots__ = ("key_prefixes", "prefixes", "terms", "value_prefixes", "vocab", "vocab_terms")

    def __init__(self, context: object) -> None:
        self.key_prefixes: dict[str, str] = {}  # prefix -> "{namespace}"
        self.value_prefixes: dict[str, str] = {}  # prefix -> namespace
        self.prefixes: dict[str, str] = dict(EPCIS_PREFIXES)  # JSON-LD compact IRI prefixes
        self.vocab_terms: dict[str, str] = {"cbv": CBV, "gs1": VOC}
        self.terms: dict[str, Term] = {}
        self.vocab: str | None = None
        for entry in context_entries(context):
            self.add(entry)

    def add(self, entry: object) -> None:
        if isinstance(entry, str):
            self._namespace(entry, entry)
            return
        if not isinstance(entry, Mapping):
            return
        for key, value in entry.items():
            if not isinstance(key, str):
                continue
            if isinstance(value, str):
                self._namespace(key, value)
            if key.startswith("@"):
                if key == "@vocab" and isinstance(value, str):
                    self.vocab = value
                continue
            self._term(key, value)

    def _namespace(self, prefix: str, namespace: str) -> None:
        self.key_prefixes[prefix] = "{" + namespace + "}"
        self.value_prefixes[prefix] = namespace.replace("{", "").replace("}", "")

    def _term(self, key: str, value: object) -> None:
        if value is None:
            self.terms[key] = Term(DROPPED)
            return
        if isinstance(value, str):
            iri = self.expand_iri(value) or value
            self.terms[key] = Term(LITERAL)
            self.vocab_terms[key] = iri
            if ":" not in key and "/" not in key and iri[-1:] in _GEN_DELIMS:
                self.prefixes[key] = iri
            return
        if isinstance(value, Mapping):
            kind = {"@id": IRI, "@vocab": VOCAB}.get(str(value.get("@type")), LITERAL)
            self.terms[key] = Term(kind)
            target = value.get("@id")
            if isinstance(target, str):
                self.vocab_terms[key] = self.expand_iri(target) or target
                if value.get("@prefix") is True:
                    self.prefixes[key] = self.vocab_terms[key]

    def expand_iri(self, value: str) -> str | None:
        """JSON-LD IRI expansion of a (non-term) value; None for a relative IRI."""
        prefix, colon, suffix = value.partition(":")
        if not colon:
            return None
        if not suffix.startswith("//"):
            namespace = self.prefixes.get(prefix)
            if namespace is not None:
                return namespace + suffix
        return value

    def expand_vocab(self, value: str, words: Mapping[str, str]) -> str | None:
        iri = words.get(value)
        if iri is None:
            iri = self.vocab_terms.get(value)
        if iri is None:
            iri = self.expand_iri(value)
        if iri is None and self.vocab is not None:
            iri = self.vocab + value
        return iri


def context_entries(context: object) -> Iterable[object]:
    if context is None:
        return ()
    if isinstance(context, (str, Mapping)):
        return (context,)
    if isinstance(context, Sequence):
        return context
    raise InvalidInput("must be a string, an object or an array", field="@context")


# ---------------------------------------------------------------------------------------------
# Step 1: the vocabulary IRIs of an event / document and the bare-word replacement table.
# ---------------------------------------------------------------------------------------------


def collect_vocabulary_iris(obj: Mapping[str, Any], ctx: Context, out: set[str]) -> None:
    _collect_object(obj, EPCIS_SCOPE, ctx, out)


def _collect_object(
    obj: Mapping[str, Any], scope: dict[str, Term], ctx: Context, out: set[str]
) -> None:
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        term = scope.get(key) or ctx.terms.get(key)
        if term is None:
            if key.startswith("@"):
                if key == "@id":
                    term = _ID_ALIAS_TERM
                elif key == "@type":
                    term = _TYPE_ALIAS_TERM
                elif key in ("@value", "@list", "@set"):
                    term = _LITERAL_TERM
                else:
                    continue
            elif ":" in key or ctx.vocab is not None:
                term = _LITERAL_TERM
            else:
                continue  # not a term: dropped by JSON-LD expansion
        elif term.kind == DROPPED:
            continue
        _collect_value(value, term, scope, ctx, out)


def _collect_value(
    value: Any, term: Term, scope: dict[str, Term], ctx: Context, out: set[str]
) -> None:
    if isinstance(value, str):
        kind = term.kind
        iri: str | None
        if kind == LITERAL:
            iri = value
        elif kind in (VOCAB, TYPE_ALIAS):
            iri = ctx.expand_vocab(value, term.words)
        else:
            iri = ctx.expand_iri(value)
        if iri is not None and iri.startswith(_VOCAB_IRI_PREFIXES):
            out.add(iri)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_value(item, term, scope, ctx, out)
    elif isinstance(value, (dict, Mapping)):
        _collect_object(value, term.scope or scope, ctx, out)


_LITERAL_TERM: Final = Term(LITERAL)
_ID_ALIAS_TERM: Final = Term(ID_ALIAS)
_TYPE_ALIAS_TERM: Final = Term(TYPE_ALIAS)


@lru_cache(maxsize=512)
def replacement_table(iris: frozenset[str]) -> dict[str, str]:
    """Map each bare value to the one vocabulary IRI ending in ``-value`` or ``/value``."""
    candidates: dict[str, set[str]] = {}
    for iri in iris:
        for i, char in enumerate(iri):
            if char == "-" or char == "/":
                candidates.setdefault(iri[i + 1 :], set()).add(iri)
    return {bare: next(iter(found)) for bare, found in candidates.items() if len(found) == 1}
