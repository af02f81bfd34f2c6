"""How long the front proxy (nginx, deploy/nginx.conf) may keep a public answer, said in one
place.

A public page, a Digital Link's redirect or the checkpoint tells browsers ``public,
no-cache``: keep it, but ask again (ETag) before showing it. The front proxy may answer from
its own cache for a second without asking (``X-Accel-Expires``, which nginx reads before
Cache-Control and never passes on), then asks the portal with If-None-Match and gets a 304
while nothing changed. So a new event or a recall reaches every client within about a
second, and the portal sees about one request a second per hot page and variant, whatever
the number of scans. Answers without these headers (errors, item pages that count scans,
anything authenticated) are never kept by the front proxy.
"""

from __future__ import annotations

from typing import Final

# Browsers and shared caches may keep the answer but must ask again before showing it.
PUBLIC_CACHE_CONTROL: Final = "public, no-cache"
FRONT_CACHE_HEADER: Final = "x-accel-expires"
# The longest a front proxy shows a public answer without asking: what a write takes to
# reach every client.
FRONT_CACHE_SECONDS: Final = 1


def front_cached() -> dict[str, str]:
    """Headers of a public answer that the front proxy may keep for a second."""
    # X-Accel-Expires first: nginx before 1.23 reads the headers in order, and a
    # Cache-Control "no-cache" read before it would forbid keeping the answer at all.
    return {
        FRONT_CACHE_HEADER: str(FRONT_CACHE_SECONDS),
        "cache-control": PUBLIC_CACHE_CONTROL,
    }
