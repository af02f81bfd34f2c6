"""The witness's memory: per log origin, the latest tree it cosigned, kept in one file.

The file is replaced atomically (written beside it, flushed to disk, renamed over it, the
directory flushed too), so a witness stopped at any moment restarts with either the old
state or the new one, never a torn one. Losing the file makes a witness forget what it
cosigned, so that it could be led to cosign a rolled-back or split tree: keep it on a
disk that is backed up, and never run a witness with a fresh state under an old key.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from traceability.errors import InvalidInput
from traceability.log.witness_protocol import WitnessedTree

_FORMAT = "traceability-witness-state/1"


class WitnessState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._trees: dict[str, WitnessedTree] = self._load()

    def latest(self, origin: str) -> WitnessedTree | None:
        return self._trees.get(origin)

    def all(self) -> dict[str, WitnessedTree]:
        return dict(self._trees)

    def record(self, origin: str, tree: WitnessedTree) -> None:
        """Store the tree as the latest cosigned for the origin; durable once it returns."""
        trees = {**self._trees, origin: tree}
        self._write(trees)
        self._trees = trees

    def _load(self) -> dict[str, WitnessedTree]:
        if not self.path.exists():
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("format") != _FORMAT:
                raise ValueError(f"format is not {_FORMAT}")
            return {
                origin: WitnessedTree(
                    int(entry["size"]), base64.b64decode(entry["root"], validate=True)
                )
                for origin, entry in document["logs"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Starting afresh would let the witness cosign what contradicts its past.
            raise InvalidInput(
                f"the witness state {self.path} cannot be read ({exc}); refusing to start "
                "with a state that forgets what this witness cosigned",
                field="state",
            ) from exc

    def _write(self, trees: dict[str, WitnessedTree]) -> None:
        document = {
            "format": _FORMAT,
            "logs": {
                origin: {"size": tree.size, "root": base64.b64encode(tree.root_hash).decode()}
                for origin, tree in sorted(trees.items())
            },
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
