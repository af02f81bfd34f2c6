"""docker-compose.yml, Dockerfile and deploy/nginx.conf hold together.

Two layers. When Docker Compose is installed (the ``docker compose`` plugin or the
``docker-compose`` program), ``config`` must accept the file and refuse to run without the
portal's secrets; otherwise those tests skip, unless TRACE_TEST_COMPOSE_REQUIRED=1 makes a
missing tool a failure. The file is always parsed with PyYAML and checked for the shape the
scale-out rests on: health-checked and persisted PostgreSQL and Redis, migrations run once
before several API replicas, nginx in front, Locust under the "load" profile, and no
TRACE_ variable that Settings would silently ignore.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from traceability.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
LOADTESTS = ROOT / "loadtests"
REQUIRED = os.environ.get("TRACE_TEST_COMPOSE_REQUIRED", "").lower() in {"1", "true", "yes"}
SECRETS = {
    "TRACE_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "TRACE_LOG_SIGNING_KEY": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
}
INFRASTRUCTURE = ("postgres", "redis")
LOAD_SERVICES = ("loadtest-seed", "locust-master", "locust-worker")


# --------------------------------------------------------------------------- the validator


@cache
def compose_command() -> tuple[str, ...] | None:
    """The Compose program on this machine: the v2 plugin first, then the v1 program."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return (docker, "compose")
    legacy = shutil.which("docker-compose")
    return (legacy,) if legacy is not None else None


def require_compose() -> tuple[str, ...]:
    command = compose_command()
    if command is None:
        message = (
            "neither `docker compose` nor `docker-compose` is installed "
            "(apt-get install docker-compose-plugin, or docker-compose)"
        )
        if REQUIRED:
            pytest.fail(message + "; TRACE_TEST_COMPOSE_REQUIRED is set")
        pytest.skip(message)
    return command


def compose_env(**extra: str) -> dict[str, str]:
    """The test's environment without the caller's TRACE_/COMPOSE_ settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACE_", "COMPOSE_"))}
    env.update(extra)
    return env


def run_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [
        *require_compose(),
        "--project-directory",
        str(ROOT),
        "-f",
        str(COMPOSE_FILE),
        *args,
    ]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_compose_validates_with_every_profile() -> None:
    done = run_compose("--profile", "load", "config", "--quiet", env=compose_env(**SECRETS))
    assert done.returncode == 0, done.stderr
    listed = run_compose("--profile", "load", "config", "--services", env=compose_env(**SECRETS))
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == {
        *INFRASTRUCTURE,
        "migrate",
        "api",
        "tls-certificate",
        "nginx",
        *LOAD_SERVICES,
    }


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_the_shared_secrets(missing: str) -> None:
    given = {k: v for k, v in SECRETS.items() if k != missing}
    done = run_compose("config", "--quiet", env=compose_env(**given))
    assert done.returncode != 0
    assert missing in done.stdout + done.stderr


# --------------------------------------------------------------------------- the file's shape


@cache
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def service(name: str) -> dict[str, Any]:
    services: dict[str, Any] = compose()["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    found: dict[str, Any] = services[name]
    return found


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def command_words(name: str) -> list[str]:
    command = service(name)["command"]
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def depends_on(name: str) -> dict[str, str]:
    found = service(name).get("depends_on", {})
    if isinstance(found, list):
        return dict.fromkeys(found, "service_started")
    return {dep: spec.get("condition", "service_started") for dep, spec in found.items()}


def replicas(name: str) -> int:
    return int(service(name).get("deploy", {}).get("replicas", 1))


@pytest.mark.parametrize("name", INFRASTRUCTURE)
def test_postgres_and_redis_are_health_checked_and_keep_their_data_on_a_volume(name: str) -> None:
    check = service(name).get("healthcheck", {})
    assert check.get("test"), f"{name} has no health check"
    assert not check.get("disable", False)
    named_volumes = compose().get("volumes") or {}
    mounted = [str(v).split(":", 1)[0] for v in service(name).get("volumes", [])]
    assert any(source in named_volumes for source in mounted), (
        f"{name} keeps its data on no named volume: {mounted}"
    )


def test_migrations_run_once_before_every_api_replica() -> None:
    words = command_words("migrate")
    assert "traceability.cli.migrate" in words or words[-1:] == ["migrate"]
    assert "deploy" not in service("migrate") or replicas("migrate") == 1
    assert service("migrate").get("restart", "no") == "no"
    assert depends_on("migrate") == {"postgres": "service_healthy"}
    assert depends_on("api") == {
        "migrate": "service_completed_successfully",
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    assert service("api").get("image") == service("migrate").get("image")


def test_several_api_replicas_share_redis_and_the_portal_keys() -> None:
    assert replicas("api") >= 2
    assert "container_name" not in service("api")
    assert "ports" not in service("api"), "replicas are reached through nginx only"
    assert command_words("api")[:2] == ["traceability", "serve"]
    assert service("api").get("healthcheck", {}).get("test")
    env = environment("api")
    assert env["TRACE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:" in env["TRACE_DATABASE_URL"]
    assert env["TRACE_REDIS_URL"].startswith("redis://redis:")
    for name in SECRETS:
        # Required, never defaulted: replicas with different keys would split the portal.
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", env[name]), env[name]
    assert environment("migrate")["TRACE_DATABASE_URL"] == env["TRACE_DATABASE_URL"]


@pytest.mark.parametrize("name", ["api", "migrate"])
def test_every_trace_variable_is_a_settings_field(name: str) -> None:
    fields = {field.upper() for field in Settings.model_fields}
    given = {k.removeprefix("TRACE_") for k in environment(name) if k.startswith("TRACE_")}
    assert given, f"{name} gets no TRACE_ settings"
    unknown = sorted(f"TRACE_{k}" for k in given - fields)
    # Settings ignores unknown variables, so a typo would pass unnoticed at run time.
    assert not unknown, f"not fields of traceability.config.Settings: {unknown}"


def test_nginx_balances_over_the_api_service_and_passes_the_client_address() -> None:
    nginx = service("nginx")
    assert nginx.get("ports"), "nginx publishes the portal's port"
    assert depends_on("nginx") == {
        "api": "service_healthy",
        "tls-certificate": "service_completed_successfully",
    }
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in nginx.get("volumes", [])}
    # A template the image's entrypoint writes to /etc/nginx/nginx.conf (tests/system/
    # test_nginx_tls.py checks what it becomes).
    assert (ROOT / mounts["/etc/nginx/templates/nginx.conf.template"]).resolve() == NGINX_CONF
    assert environment("nginx")["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    conf = NGINX_CONF.read_text()
    port = command_words("api")[command_words("api").index("--port") + 1]
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.S)
    assert upstream is not None
    assert re.search(rf"^\s*server\s+api:{port}\b", upstream.group(2), re.M)
    assert f"proxy_pass http://{upstream.group(1)};" in conf
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;", conf)
    # The API believes X-Forwarded-For only from its proxies: the containers' address range of
    # the compose network, never its gateway (what a published port may show for a client).
    env = environment("api")
    assert "FORWARDED_ALLOW_IPS" not in env, "the gateway decides, not uvicorn"
    [network] = compose()["networks"]["default"]["ipam"]["config"]
    trusted = Settings(trusted_proxies=env["TRACE_TRUSTED_PROXIES"]).trusted_proxy_networks
    assert trusted == (ipaddress.ip_network(network["ip_range"]),)
    assert ipaddress.ip_address(network["gateway"]) not in trusted[0]


def test_locust_master_and_workers_run_only_under_the_load_profile() -> None:
    for name in compose()["services"]:
        profiles = service(name).get("profiles", [])
        assert ("load" in profiles) == (name in LOAD_SERVICES), name
    master, worker = command_words("locust-master"), command_words("locust-worker")
    assert "--master" in master and "--host" in master
    assert worker[worker.index("--master-host") + 1] == "locust-master"
    for words in (master, worker):
        assert words[words.index("-f") + 1] == "/app/loadtests/locustfile.py"
    assert replicas("locust-worker") >= 1
    assert depends_on("locust-master") == {"loadtest-seed": "service_completed_successfully"}
    assert "loadtests.seed" in " ".join(command_words("loadtest-seed"))


@pytest.mark.parametrize("name", ["locust-master", "locust-worker"])
def test_locust_reads_the_seed_written_by_the_seeding_job(name: str) -> None:
    env = environment(name)
    seed = env["TRACE_LOADTEST_SEED"]
    writer = {
        str(v).split(":")[1]: str(v).split(":")[0] for v in service("loadtest-seed")["volumes"]
    }
    reader = {str(v).split(":")[1]: str(v).split(":")[0] for v in service(name)["volumes"]}
    folder = str(Path(seed).parent)
    assert writer[folder] == reader[folder], "master, workers and the seeding job share a volume"
    assert f"--out {seed}" in " ".join(command_words("loadtest-seed"))
    # The TRACE_LOADTEST_ variables are the load tests' own; each must be one they read.
    sources = "".join(p.read_text() for p in LOADTESTS.rglob("*.py"))
    for variable in env:
        assert variable.startswith("TRACE_LOADTEST_"), variable
        assert f'"{variable}"' in sources, f"loadtests/ reads no {variable}"


def test_every_build_target_is_a_stage_of_the_dockerfile() -> None:
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE.read_text(), re.M | re.I))
    targets = {
        build.get("target")
        for spec in compose()["services"].values()
        if isinstance(build := spec.get("build"), dict)
    }
    assert targets == {"api", "load"}
    assert targets <= stages
    # A plain `docker build .` makes the API image: it is the last stage.
    last = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE.read_text(), re.M | re.I)[-1]
    assert last == "api"


def test_the_migrate_service_command_upgrades_an_empty_database(tmp_path: Path) -> None:
    env = compose_env(TRACE_DATA_DIR=str(tmp_path), **SECRETS)
    words = command_words("migrate")
    assert words[:2] == ["python", "-m"]
    done = subprocess.run(
        [sys.executable, *words[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "is at revision" in done.stdout
    assert (tmp_path / "traceability.db").exists()
    assert not (tmp_path / "master.key").exists(), "keys given: nothing generated"
