"""deploy/nginx.conf ends TLS: HTTPS on 443 with the certificate paths it is given, plain HTTP
redirected there (GS1 Resolver standard 1.2: a resolver "SHALL support HTTP Over TLS
(HTTPS)"). The template is rendered as the nginx image's entrypoint renders it and checked
with ``nginx -t`` against a self-signed certificate made here.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from cryptography import x509

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
# What docker-compose.yml sets in the nginx service's environment.
TLS_VARIABLES = ("TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY")


def self_signed_tls() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "self_signed_tls", ROOT / "deploy/self_signed_tls.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(values: dict[str, str]) -> str:
    """The template as the image's envsubst writes it: only variables it is given change."""
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def server_blocks(conf: str) -> list[str]:
    """The text of each ``server { … }`` block (they hold no nested ``server``)."""
    return re.findall(r"^    server \{\n(.*?)^    \}", conf, re.S | re.M)


def test_the_template_asks_only_for_the_certificate_paths() -> None:
    variables = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text()))
    assert variables == set(TLS_VARIABLES)
    # nginx's own variables are written $name, which envsubst leaves alone unless they are
    # set in its environment: none of them are names an environment holds.
    assert not set(re.findall(r"\$([A-Z_][A-Z0-9_]*)", TEMPLATE.read_text())) - set(TLS_VARIABLES)


def test_http_redirects_to_https_and_https_carries_the_api() -> None:
    blocks = server_blocks(render({name: f"/tls/{name}.pem" for name in TLS_VARIABLES}))
    [plain] = [b for b in blocks if re.search(r"^\s*listen 80;", b, re.M)]
    [secure] = [b for b in blocks if re.search(r"^\s*listen 443 ssl;", b, re.M)]
    assert "return 308 https://$host$request_uri;" in plain
    assert "proxy_pass" not in plain, "nothing is served over plain HTTP but the health check"
    assert "ssl_certificate /tls/TLS_CERTIFICATE.pem;" in secure
    assert "ssl_certificate_key /tls/TLS_CERTIFICATE_KEY.pem;" in secure
    assert "proxy_pass http://api;" in secure
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in secure


def require_nginx() -> str:
    """nginx's path; without it a skip on a developer's machine and a failure in CI."""
    if NGINX is None:
        message = "nginx is not installed: `nginx -t` cannot run (apt-get install nginx)"
        if IN_CI:
            pytest.fail(f"CI checks the front proxy's configuration: {message}")
        pytest.skip(message)
    return NGINX


def test_nginx_accepts_the_rendered_configuration_with_a_certificate(tmp_path: Path) -> None:
    nginx = require_nginx()
    tls = tmp_path / "tls"
    assert self_signed_tls().write_self_signed(tls, "localhost", 1)
    certificate = x509.load_pem_x509_certificate((tls / "fullchain.pem").read_bytes())
    assert certificate.subject == certificate.issuer
    conf = render(
        {
            "TLS_CERTIFICATE": str(tls / "fullchain.pem"),
            "TLS_CERTIFICATE_KEY": str(tls / "privkey.pem"),
        }
    )
    # Only Docker has the "api" name and its DNS; nginx before 1.27.3 has no "resolve" on an
    # upstream server. The rest of the file is checked as it is.
    local = re.sub(r"server api:(\d+) resolve", r"server 127.0.0.1:\1", conf)
    local = local.replace("pid /var/run/nginx.pid;", f"pid {tmp_path / 'nginx.pid'};")
    # The front cache's directory is a tmpfs in the compose file (docker-compose.yml).
    local = local.replace("/var/cache/nginx/front", str(tmp_path / "front-cache"))
    (tmp_path / "nginx.conf").write_text(local)
    (tmp_path / "logs").mkdir()
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
    # And a certificate it cannot read is refused, so the check above means something.
    (tls / "fullchain.pem").write_text("not a certificate")
    refused = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode != 0
