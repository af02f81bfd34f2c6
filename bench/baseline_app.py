"""The yardstick of the public-page benchmark: a minimal FastAPI route returning a small dict.

One GET route, no middleware, no dependencies, the body serialised with orjson. It is
what "as fast as FastAPI can answer" means on this machine, so a cached lot page is
measured against it (see ``bench/public.py``). It is served the way the product is:
uvicorn with uvloop and httptools (``uvicorn[standard]``), access log off, same worker
count, e.g.

    uvicorn bench.baseline_app:app --host 127.0.0.1 --port 8001 --workers 1 --no-access-log

FastAPI's ORJSONResponse is deprecated, so the bytes go out in a plain Response.
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

PATH = "/"
BODY = {"status": "ok", "service": "baseline", "items": [1, 2, 3]}

app = FastAPI(
    title="public-page benchmark baseline", openapi_url=None, docs_url=None, redoc_url=None
)


@app.get(PATH)
async def small_dict() -> Response:
    return Response(orjson.dumps(BODY), media_type="application/json")
