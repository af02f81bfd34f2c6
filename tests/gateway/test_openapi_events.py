"""/openapi.json publishes what to send to the capture endpoints: the EPCIS event schema,
which takes every GS1 example the portal takes and every example of the walkthrough, and
shows those examples; and the document is valid OpenAPI 3.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gateway.app import create_app
from tests.conformance import material
from tests.epcis_schema import EXAMPLES_DIR
from traceability.config import Settings

GS1_EXAMPLES = sorted(
    p for p in EXAMPLES_DIR.rglob("*.jsonld") if p.name != "EPCISQueryDocument.jsonld"
)
WALKTHROUGH = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.jsonld"))
BASE = "urn:traceability:openapi"


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document /openapi.json serves (built once: it reads nothing stored)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))
    document: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    return document


def pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def request_schema(spec: dict[str, Any], path: str, media_type: str) -> Draft202012Validator:
    """A validator of the request body ``path`` publishes, its references read in the spec
    (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    registry: Registry[Any] = Registry().with_resource(
        BASE, Resource(contents=spec, specification=DRAFT202012)
    )
    where = pointer("paths", path, "post", "requestBody", "content", media_type, "schema")
    return Draft202012Validator({"$ref": f"{BASE}#/{where}"}, registry=registry)


def component(spec: dict[str, Any], name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        BASE, Resource(contents=spec, specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{BASE}#/components/schemas/{name}"}, registry=registry)


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def check_document(spec: dict[str, Any], document: dict[str, Any]) -> None:
    for media_type in ("application/json", "application/ld+json"):
        assert errors(request_schema(spec, "/api/v1/epcis/capture", media_type), document) == []
        one = request_schema(spec, "/api/v1/epcis/events", media_type)
        for event in document["epcisBody"]["eventList"]:
            assert errors(one, event) == []
    every = component(spec, "EPCISEvent")
    for event in document["epcisBody"]["eventList"]:
        assert errors(every, event) == []


def test_the_openapi_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


@pytest.mark.parametrize(
    "path",
    material(GS1_EXAMPLES),
    ids=lambda p: str(p.relative_to(EXAMPLES_DIR)) if p else "not-configured",
)
def test_the_published_event_schema_takes_every_gs1_example_the_portal_takes(
    spec: dict[str, Any], path: Path
) -> None:
    # tests/gateway/test_epcis_api.py captures each of them whole.
    check_document(spec, json.loads(path.read_text()))


@pytest.mark.parametrize("path", WALKTHROUGH, ids=lambda p: p.stem)
def test_the_published_event_schema_takes_every_example_of_the_walkthrough(
    spec: dict[str, Any], path: Path
) -> None:
    check_document(spec, json.loads(path.read_text()))


def test_the_event_body_shows_the_walkthroughs_events_as_examples(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/api/v1/epcis/events"]["post"]["requestBody"]["content"]
    events = content["application/ld+json"]["examples"]
    assert content["application/json"]["examples"] == events
    assert {"01-commission", "05-pack", "06-recall", "07-correct-1", "07-correct-2"} <= set(events)
    first = json.loads(WALKTHROUGH[0].read_text())
    assert events["01-commission"]["value"] == {
        "@context": first["@context"],
        **first["epcisBody"]["eventList"][0],
    }
    assert "errorDeclaration" in events["07-correct-1"]["value"]
    assert events["07-correct-1"]["summary"].endswith("errorDeclaration")
    # The documents are pointed to, not shown: a fuzzer tiling an example event up to the
    # capture limit would send megabytes.
    capture = spec["paths"]["/api/v1/epcis/capture"]["post"]["requestBody"]["content"]
    assert "examples" not in capture["application/ld+json"]
    assert "examples/" in capture["application/ld+json"]["schema"]["description"]


def test_a_self_signed_record_carries_an_epcis_event_that_names_its_id(
    spec: dict[str, Any],
) -> None:
    signed = spec["components"]["schemas"]["SignedEventIn"]["properties"]["event"]
    assert signed["allOf"] == [{"$ref": "#/components/schemas/EPCISEvent"}]
    assert signed["required"] == ["eventID"]
