"""The house rules a newcomer relies on to find their way: small rooms, short functions, and
services whose results are the portal's own types, never database rows.

The import arrows themselves (pure core, thin gateway, no tooling in the product) are
import-linter contracts in pyproject.toml, run by `python3 dev.py test` before pytest.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

import traceability
import traceability.services
from traceability.db.models import Base

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = (ROOT / "traceability", ROOT / "gateway")
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 600
# What may lie loose in traceability/: the wiring and the few things every room uses.
TOP_LEVEL_MODULES = {
    "__init__",
    "client",
    "clock",
    "config",
    "errors",
    "keyring",
    "logging",
    "portal",
}


def _sources() -> Iterator[Path]:
    for package in PRODUCT:
        for path in sorted(package.rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def test_no_function_is_longer_than_a_screen() -> None:
    long = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == [], f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_source_file_is_longer_than_a_sitting() -> None:
    big = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_FILE_LINES:
            big.append(f"{path.relative_to(ROOT)} ({lines})")
    assert big == [], f"files over {MAX_FILE_LINES} lines: {big}"


def test_the_top_of_the_package_holds_only_the_wiring() -> None:
    loose = {path.stem for path in (ROOT / "traceability").glob("*.py")}
    assert loose - TOP_LEVEL_MODULES == set(), "modules loose in traceability/ belong in a room"


def _service_modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.walk_packages(traceability.services.__path__, "traceability.services."):
        yield importlib.import_module(info.name)


def _mentions_a_row(annotation: object, seen: set[int]) -> str | None:
    """The ORM row class an annotation reaches (through generics and dataclass fields)."""
    if id(annotation) in seen:
        return None
    seen.add(id(annotation))
    if inspect.isclass(annotation):
        if issubclass(annotation, Base):
            return annotation.__name__
        if dataclasses.is_dataclass(annotation):
            hints = typing.get_type_hints(annotation)
            for hint in hints.values():
                found = _mentions_a_row(hint, seen)
                if found:
                    return f"{annotation.__name__} -> {found}"
        return None
    for argument in typing.get_args(annotation):
        found = _mentions_a_row(argument, seen)
        if found:
            return found
    return None


def _public_methods() -> Iterator[tuple[str, typing.Any]]:
    for module in _service_modules():
        for name, cls in vars(module).items():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            if not name.endswith("Service") and not name.endswith("Reader"):
                continue
            for method_name, method in vars(cls).items():
                if not method_name.startswith("_") and inspect.isfunction(method):
                    yield f"{module.__name__}.{name}.{method_name}", method


@pytest.mark.parametrize(
    "name,method", [pytest.param(name, method, id=name) for name, method in _public_methods()]
)
def test_a_service_hands_out_no_database_row(name: str, method: typing.Any) -> None:
    # The gateway's schemas are built from what services return: a row leaking out would tie
    # the public JSON to the table layout, and let a caller write through a live row.
    returned = typing.get_type_hints(method).get("return")
    found = _mentions_a_row(returned, set())
    assert found is None, f"{name} returns {found}, a database row"


def test_every_service_module_is_checked() -> None:
    # A rename that hid the services from the check above would make it pass by checking nothing.
    assert len(list(_public_methods())) > 20
