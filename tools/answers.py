"""Record every answer the demo portal gives, to prove a refactoring changed none of them.

    python -m tools.answers prepare DATA_DIR     seed the demo there; keep its API keys
    python -m tools.answers record DATA_DIR OUT  serve DATA_DIR, save each answer under OUT
    python -m tools.answers compare OLD NEW      list the answers that differ (exit 1 if any)

`prepare` runs once, with either version of the code; `record` runs with each version
against copies of the same data folder, so both serve the same keys and events and any
difference in bytes is a difference in behaviour. Answers that a run stamps with the time
(the label sheet's PDF dates) are noted, not compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

KEYS_FILE = "answers-keys.json"
# Headers that say what an answer is; the rest (date, server) say when and by whom.
KEPT_HEADERS = (
    "content-type",
    "content-language",
    "cache-control",
    "etag",
    "link",
    "location",
    "vary",
    "allow",
    "content-security-policy",
)
TIME_STAMPED = ("labels.pdf",)
# The instant an answer was made (creationDate, generated_at, a first scan): masked before
# comparing, since two runs never share it. Stored times (event times, dates) are whole
# seconds with an offset and stay compared.
NOW = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d{3,6}(?:Z|\+00:00)?")


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        TRACE_DATA_DIR=str(data_dir),
        TRACE_PUBLIC_RATE_LIMIT="0",
        COLUMNS="300",
    )
    return env


def _traceability() -> str:
    return str(Path(sys.executable).with_name("traceability"))


def prepare(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    shown = subprocess.run(
        [_traceability(), "demo"],
        env=_environment(data_dir),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keys = dict(
        (role, key)
        for role, key in re.findall(r"\((producer|inspector|admin)\): (trc_[\w-]+)", shown)
        if role != "producer"
    )
    keys["producers"] = re.findall(r"\(producer\): (trc_[\w-]+)", shown)  # type: ignore[assignment]
    (data_dir / KEYS_FILE).write_text(json.dumps(keys, indent=1))
    print(f"seeded {data_dir}; keys in {data_dir / KEYS_FILE}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped before it was healthy")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server was not healthy within 60 s")


def _requests(
    client: httpx.Client, keys: dict[str, object]
) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, headers) of every answer recorded."""
    inspector = {"Authorization": f"Bearer {keys['inspector']}"}
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    producers = [{"Authorization": f"Bearer {k}"} for k in keys["producers"]]  # type: ignore[attr-defined]
    wanted: list[tuple[str, str, dict[str, str]]] = [
        ("healthz", "/healthz", {}),
        ("openapi", "/openapi.json", {}),
        ("resolver", "/.well-known/gs1resolver", {}),
        ("checkpoint", "/log/checkpoint", {}),
        ("log-key", "/log/key", {}),
        ("leaf-0", "/log/leaves/0", {}),
        ("consistency", "/log/proof/consistency?first=3&second=20", {}),
        ("audit-log", "/api/v1/audit/log", inspector),
        ("organizations", "/api/v1/organizations", admin),
        ("me-inspector", "/api/v1/me", inspector),
        ("unknown-lot", "/01/08936901020057/10/NO-SUCH-LOT", {}),
        ("bad-gtin", "/01/08936901020058/10/X", {}),
    ]
    lots: list[dict[str, str]] = []
    for number, producer in enumerate(producers):
        for what in ("me", "products", "lots", "locations", "keys", "signing-keys"):
            wanted.append((f"producer{number}-{what}", f"/api/v1/{what}", producer))
        wanted.append((f"producer{number}-events", "/api/v1/epcis/events", producer))
        wanted.append((f"producer{number}-heads", "/api/v1/epcis/heads", producer))
        answer = client.get("/api/v1/lots", headers=producer)
        answer.raise_for_status()
        body = answer.json()
        items = body if isinstance(body, list) else body.get("lots", body.get("items", []))
        lots.extend((lot, producer) for lot in items)  # type: ignore[misc]
    for number, (lot, producer) in enumerate(lots):  # type: ignore[misc]
        gtin, code = lot["gtin"], lot["lot"]
        page = f"/01/{gtin}/10/{code}"
        wanted += [
            (f"lot{number}-api", f"/api/v1/lots/{gtin}/{code}", producer),
            (f"lot{number}-html-vi", page, {"Accept": "text/html"}),
            (f"lot{number}-html-en", page + "?lang=en", {"Accept": "text/html"}),
            (f"lot{number}-html-en-header", page, {"Accept": "text/html", "Accept-Language": "en"}),
            (f"lot{number}-json", page, {"Accept": "application/json"}),
            (f"lot{number}-linkset", page, {"Accept": "application/linkset+json"}),
            (f"lot{number}-linktype", page + "?linkType=all", {}),
            (f"lot{number}-traceability", page + "?linkType=gs1:traceability", {}),
            (f"lot{number}-head", page, {}),
            (f"lot{number}-qr-png", f"/qr/01/{gtin}/10/{code}.png", {}),
            (f"lot{number}-qr-svg", f"/qr/01/{gtin}/10/{code}.svg", {}),
            (f"lot{number}-product", f"/01/{gtin}", {"Accept": "text/html"}),
            (f"lot{number}-item", page + "/21/1001", {"Accept": "text/html"}),
            (f"lot{number}-item-json", page + "/21/1001", {"Accept": "application/json"}),
            (f"lot{number}-labels.pdf", f"/api/v1/lots/{gtin}/{code}/labels.pdf", producer),
        ]
        audit = f"/api/v1/audit/lots/{gtin}/{code}"
        for what in ("", "/one-step", "/trace", "/recall", "/export.csv", "/bundle"):
            wanted.append((f"lot{number}-audit{what.replace('/', '-')}", audit + what, inspector))
        wanted.append(
            (f"lot{number}-events", f"/api/v1/epcis/events?MATCH_anyEPC={page}", producer)
        )
    return wanted


def record(data_dir: Path, out: Path) -> None:
    keys = json.loads((data_dir / KEYS_FILE).read_text())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [_traceability(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(base, server)
        out.mkdir(parents=True, exist_ok=True)
        index: dict[str, dict[str, object]] = {}
        with httpx.Client(base_url=base, timeout=60) as client:
            for name, path, headers in _requests(client, keys):
                method = "HEAD" if name.endswith("-head") else "GET"
                answer = client.request(method, path, headers=headers)
                (out / name).write_bytes(answer.content)
                index[name] = {
                    "path": path,
                    "status": answer.status_code,
                    "headers": {h: answer.headers.get(h) for h in KEPT_HEADERS},
                    "sha256": hashlib.sha256(answer.content).hexdigest(),
                    "bytes": len(answer.content),
                }
        (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False))
        print(f"recorded {len(index)} answers in {out}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _same(name: str, old: Path, new: Path, before: dict[str, Any], after: dict[str, Any]) -> bool:
    if before == after:
        return True
    if before["status"] != after["status"]:
        return False
    if name.endswith(TIME_STAMPED):
        print(f"time-stamped, not compared: {name}")
        return True
    masked_before, masked_after = (
        NOW.sub(b"<now>", (folder / name).read_bytes()) for folder in (old, new)
    )
    # An answer stamped with the time has an entity tag that follows the stamp.
    headers = [{**answer["headers"], "etag": None} for answer in (before, after)]
    return masked_before == masked_after and headers[0] == headers[1]


def compare(old: Path, new: Path) -> int:
    before = json.loads((old / "index.json").read_text())
    after = json.loads((new / "index.json").read_text())
    differ = 0
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            print(f"only in one: {name}")
            differ += 1
        elif not _same(name, old, new, before[name], after[name]):
            differ += 1
            print(f"differs: {name} {before[name]['path']}")
            for key in ("status", "bytes"):
                if before[name][key] != after[name][key]:
                    print(f"  {key}: {before[name][key]} -> {after[name][key]}")
            for header, value in before[name]["headers"].items():
                if after[name]["headers"].get(header) != value:
                    print(f"  {header}: {value} -> {after[name]['headers'].get(header)}")
    print(f"{len(before)} answers compared, {differ} differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="seed the demo into a data folder").add_argument(
        "data_dir", type=Path
    )
    recording = commands.add_parser("record", help="serve a data folder and save its answers")
    recording.add_argument("data_dir", type=Path)
    recording.add_argument("out", type=Path)
    comparing = commands.add_parser("compare", help="list answers that differ")
    comparing.add_argument("old", type=Path)
    comparing.add_argument("new", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "prepare":
        prepare(arguments.data_dir)
        return 0
    if arguments.command == "record":
        copy = arguments.out.with_name(arguments.out.name + "-data")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(arguments.data_dir, copy)
        record(copy, arguments.out)
        return 0
    return compare(arguments.old, arguments.new)


if __name__ == "__main__":
    sys.exit(main())
