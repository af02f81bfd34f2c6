"""docs/PRODUCER.md's commands, run as a producer would: every ```sh block in order, in a
shell, from a folder holding examples/, against the portal its first block serves (on a free
port instead of 8000). They must all succeed and show what the page says they show.
Without bash, curl or jq the test skips, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = ROOT / "docs" / "PRODUCER.md"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TOOLS = ("bash", "curl", "jq")


def shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


@pytest.fixture
def tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"the walkthrough needs {', '.join(missing)}: install them (apt-get install)"
        if IN_CI:
            pytest.fail(f"CI runs the walkthrough: {message}")
        pytest.skip(message)


def test_every_command_of_the_producer_walkthrough_works(tools: None, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    port = str(free_port())
    script = "\n".join(shell_blocks(WALKTHROUGH.read_text(encoding="utf-8")))
    script = script.replace("8000", port)
    # Whatever happens, the portal the script serves stops with it.
    script = f"trap 'kill $(jobs -p) 2>/dev/null' EXIT\n{script}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    # Six documents captured whole, the pack signed locally, the lot recalled by the mill.
    assert out.count('"status": "success"') == 6, out
    assert "Recorded urn:uuid:9e9b1d88-2f77-4018-ac01-cfe75221bb87" in out
    assert '"recalled": true' in out
    # The links' upload: a dry run, the upload, the same again changing nothing.
    assert '{"dryRun":true,"added":3,"changed":0,"unchanged":0}' in out
    assert '{"dryRun":false,"added":3,"changed":0,"unchanged":0}' in out
    assert '{"dryRun":false,"added":0,"changed":0,"unchanged":3}' in out
    assert "https://gao-st25.example.vn/en/st25-rice-5kg?utm_source=label" in out
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "qr.png").read_bytes().startswith(b"\x89PNG")
