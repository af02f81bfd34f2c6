"""`traceability links upload`: a business's links from a file, as a person or a script."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.factories.organizations import gtin_for
from traceability.cli import app

runner = CliRunner()


def producer(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    created = json.loads(
        runner.invoke(
            app,
            [
                "org",
                "create",
                "--name",
                "HTX",
                "--role",
                "producer",
                "--gs1-prefix",
                "8936013",
                "--json",
            ],
        ).stdout
    )
    gtin = gtin_for("8936013", 5)
    httpx.post(
        f"{server}/api/v1/products",
        json={"gtin": gtin, "name": "Gạo"},
        headers={"Authorization": f"Bearer {created['api_key']}"},
    )
    monkeypatch.setenv("TRACE_API_URL", server)
    monkeypatch.setenv("TRACE_API_KEY", created["api_key"])
    return gtin


def test_a_business_uploads_links_after_a_dry_run(
    server: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gtin = producer(server, monkeypatch)
    upload = tmp_path / "links.csv"
    upload.write_text(
        "anchor,linkType,href,title,hreflang\n"
        f"/01/{gtin},gs1:pip,https://x.vn/vi,Gạo,vi\n"
        f"/01/{gtin},gs1:pip,https://x.vn/en,Rice,en\n",
        encoding="utf-8",
    )
    dry = runner.invoke(app, ["links", "upload", str(upload), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would add 2, change 0, leave 0 unchanged (nothing stored)." in dry.stdout
    done = runner.invoke(app, ["links", "upload", str(upload), "--json"])
    assert done.exit_code == 0, done.output
    assert [row["outcome"] for row in json.loads(done.stdout)["rows"]] == ["added", "added"]
    again = runner.invoke(app, ["links", "upload", str(upload)])
    assert "Added 0, changed 0, left 2 unchanged." in again.stdout
    scan = httpx.get(f"{server}/01/{gtin}?linkType=gs1:pip", headers={"Accept-Language": "en"})
    assert scan.headers["location"] == "https://x.vn/en"


def test_a_refused_upload_names_each_wrong_row_and_exits_2(
    server: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gtin = producer(server, monkeypatch)
    upload = tmp_path / "links.json"
    upload.write_text(
        json.dumps(
            {
                "links": [
                    {
                        "anchor": f"/01/{gtin}",
                        "linkType": "gs1:pip",
                        "href": "https://x.vn",
                        "title": "Gạo",
                    },
                    {
                        "anchor": f"/01/{gtin}",
                        "linkType": "gs1:recipe",
                        "href": "https://x.vn",
                        "title": "Cơm",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["links", "upload", str(upload)])
    assert refused.exit_code == 2
    assert "row 2: linkType: 'gs1:recipe' is not a GS1 link type" in refused.stderr
    assert "did you mean gs1:recipeInfo?" in refused.stderr
