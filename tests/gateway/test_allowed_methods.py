"""Methods: every path answers HEAD where it answers GET, and a method it does not accept is a
405 problem whose Allow lists exactly the methods the path does accept (RFC 9110 15.5.6).

The walk covers every path of /openapi.json, each method tried for real, without a key: a
401, a 404 or a 400 still says the method was accepted, only a 405 says it was not.
"""

from __future__ import annotations

import re

import httpx

from gateway.methods import METHOD_ORDER
from tests.factories.organizations import gtin_for
from traceability.identifiers.compression import compress_digital_link
from traceability.identifiers.digital_link import DigitalLink

PROBES = (*METHOD_ORDER, "TRACE", "QUERY")
GTIN = gtin_for("8930000", 1)
SAMPLES = {
    "gtin": GTIN,
    "identifier": GTIN,
    "lot": "L1",
    "serial": "1",
    "index": "0",
    "link_id": "00000000-0000-4000-8000-000000000000",
    # A compressed Digital Link (GS1 Digital Link compression of /01/{gtin}/21/1).
    "compressed": compress_digital_link(DigitalLink(gtin=GTIN, serial="1")).lstrip("/"),
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), "x"), path)


async def test_every_path_lists_in_allow_exactly_the_methods_it_accepts(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert len(paths) > 30
    for template, operations in paths.items():
        path = concrete(template)
        documented = {method.upper() for method in operations}
        expected = [
            m for m in METHOD_ORDER if m in documented or (m == "HEAD" and "GET" in documented)
        ]
        answers = {method: await client.request(method, path) for method in PROBES}
        accepted = [m for m in PROBES if answers[m].status_code != 405]
        assert accepted == expected, f"{template}: {accepted} answered, {expected} documented"
        for method, answer in answers.items():
            if answer.status_code == 405:
                assert answer.headers["allow"] == ", ".join(expected), f"{method} {template}"
                assert answer.headers["content-type"] == "application/problem+json"
                if method != "HEAD":  # a HEAD answer has no body
                    problem = answer.json()
                    assert problem["status"] == 405
                    assert method in problem["detail"]


async def test_a_digital_link_answers_get_head_and_options(
    client: httpx.AsyncClient,
) -> None:
    options = await client.options(f"/01/{GTIN}")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS"
    refused = await client.post(f"/01/{GTIN}")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS"


async def test_head_of_a_get_route_is_its_get_without_the_body(
    client: httpx.AsyncClient,
) -> None:
    got = await client.get("/log/key")
    head = await client.head("/log/key")
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"] != "0"
    assert head.content == b""


async def test_a_collection_names_its_get_and_its_post(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/api/v1/products")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, POST"
    capture = await client.delete("/api/v1/epcis/capture")
    assert capture.headers["allow"] == "GET, HEAD, POST, OPTIONS"
