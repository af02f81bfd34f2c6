"""Entry point for ASGI servers: `uvicorn --factory gateway.asgi:create_default_app`."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.app import create_app
from traceability.config import Settings
from traceability.logging import configure_logging


def create_default_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.json_logs)
    return create_app(settings)
