"""deploy/nginx.conf run on this machine: the same front proxy and front cache, in front of
one portal process on a loopback port, in a private prefix directory, stopped by its PID.

Only what ties the file to Docker changes: the upstream is ``127.0.0.1:PORT`` (no Docker
DNS, and nginx before 1.27.3 has no ``resolve``), every listener is a free loopback port,
and the pid file, error log, temporary files and cache live in the prefix directory. HTTPS
gets a self-signed certificate made there. The plain listener (the compose network's 8080)
is the one given back.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
START_TIMEOUT = 15.0


def nginx_binary() -> str | None:
    """nginx's path (Debian installs it in /usr/sbin, often outside a user's PATH)."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _swap(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; the template must still hold it (or this is stale)."""
    if old not in text:
        raise ValueError(f"deploy/nginx.conf no longer holds {old!r}")
    return text.replace(old, new)


def local_config(
    template: str,
    prefix: Path,
    *,
    upstream_port: int,
    port: int,
    workers: int = 1,
    extra_locations: str = "",
) -> str:
    """The template as it runs here (see the module's docstring); ``extra_locations`` is put
    in the plain listener's server block (a static file beside the proxied pages, say)."""
    tls = prefix / "tls"
    conf = _swap(template, "${TLS_CERTIFICATE}", str(tls / "fullchain.pem"))
    conf = _swap(conf, "${TLS_CERTIFICATE_KEY}", str(tls / "privkey.pem"))
    conf = _swap(conf, "worker_processes auto;", f"worker_processes {workers};")
    conf = _swap(conf, "pid /var/run/nginx.pid;", f"pid {prefix / 'nginx.pid'};")
    conf = _swap(conf, "error_log /dev/stderr warn;", f"error_log {prefix / 'error.log'} warn;")
    conf = _swap(conf, "/var/cache/nginx/front", str(prefix / "front-cache"))
    conf = re.sub(r"server api:\d+ resolve", f"server 127.0.0.1:{upstream_port}", conf)
    conf = _swap(conf, "listen 80;", f"listen 127.0.0.1:{free_port()};")
    conf = _swap(conf, "listen 443 ssl;", f"listen 127.0.0.1:{free_port()} ssl;")
    conf = _swap(conf, "listen 8080;", f"listen 127.0.0.1:{port};\n{extra_locations}")
    temporary = "".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = _swap(conf, "http {\n", "http {\n" + temporary)
    if os.geteuid() == 0:
        # As root the workers would run as nobody, who cannot write the prefix directory.
        conf = "user root;\n" + conf
    return conf


def _write_certificate(directory: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "self_signed_tls", ROOT / "deploy" / "self_signed_tls.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_self_signed(directory, "localhost", 1)


@dataclass
class FrontProxy:
    process: subprocess.Popen[bytes]
    url: str
    prefix: Path

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def front_proxy(
    nginx: str, prefix: Path, upstream_port: int, *, workers: int = 1, extra_locations: str = ""
) -> Iterator[FrontProxy]:
    """deploy/nginx.conf in front of the portal on ``upstream_port``, until the block ends."""
    for folder in ("tls", "tmp", "front-cache", "logs"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    _write_certificate(prefix / "tls")
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        local_config(
            TEMPLATE.read_text(),
            prefix,
            upstream_port=upstream_port,
            port=port,
            workers=workers,
            extra_locations=extra_locations,
        )
    )
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = FrontProxy(process, f"http://127.0.0.1:{port}", prefix)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{proxy.url}/nginx-health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{proxy.error_log()}")
            time.sleep(0.05)
        yield proxy
    finally:
        proxy.stop()
