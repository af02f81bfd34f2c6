# The API image, and beside it the load-test image (Locust), from one Dockerfile.
#
#   docker build -t traceability .                      # the API (the last stage, "api")
#   docker build -t traceability-load --target load .   # the same plus Locust (loadtests/)
#
# Settings come from TRACE_* variables at run time (README, "Configuration"); nothing secret
# is baked in. docker-compose.yml builds both targets.

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Every dependency (asyncpg, hiredis, orjson, cryptography, uvloop, ...) ships manylinux
# wheels for CPython 3.11, so no compiler is needed.
COPY pyproject.toml README.md ./
COPY traceability ./traceability
COPY gateway ./gateway
COPY loadtests ./loadtests
COPY examples ./examples
COPY deploy/self_signed_tls.py ./deploy/self_signed_tls.py
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home trace \
    && mkdir /data \
    && chown trace:trace /data
# The data dir holds generated keys only when TRACE_MASTER_KEY / TRACE_LOG_SIGNING_KEY are
# unset (a trial); with PostgreSQL and the keys given, nothing is written there.
ENV TRACE_DATA_DIR=/data

# Locust master and workers: the API image plus the "load" extra. -f names the locustfile;
# /seed holds the seed file the scenarios read (TRACE_LOADTEST_SEED), on a shared volume.
FROM base AS load
RUN pip install ".[load]" \
    && mkdir /seed \
    && chown trace:trace /seed
USER trace
EXPOSE 8089 5557
CMD ["locust", "-f", "/app/loadtests/locustfile.py"]

FROM base AS api
USER trace
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["traceability", "serve", "--host", "0.0.0.0", "--port", "8000"]
