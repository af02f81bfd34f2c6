"""The Content-Security-Policy a served provenance page must carry, read from the page."""

from __future__ import annotations

import re
from typing import Final

from gateway.pages.jsonld import script_hash
from gateway.pages.render import content_security_policy

DATA_SCRIPT: Final = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def page_policy(html: str) -> str:
    """The pages' own policy, allowing the page's data scripts by their hashes and nothing
    else (no 'unsafe-inline')."""
    return content_security_policy([script_hash(body) for body in DATA_SCRIPT.findall(html)])
