"""`traceability keys`: two kinds of key. A business's own Ed25519 signing key, made and kept
on its machine (generate, register); and the portal's API keys, managed on its database
(create, list, revoke: traceability.cli.api_keys)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from traceability.cli import api_keys
from traceability.cli._common import console, fail, portal_client
from traceability.client import load_signing_key, save_signing_key
from traceability.config import Settings
from traceability.crypto.signing import SigningKey
from traceability.errors import TraceabilityError

keys_app = typer.Typer(
    help="Keys. Signing keys, a business's own Ed25519 key: 'generate' it on your machine, "
    "'register' its public half with the portal. API keys, the Bearer tokens of an "
    "organisation, on the portal's database: 'create', 'list', 'revoke'.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path, typer.Option(help="Where to write the private key (created 0600).")],
    as_json: JsonOption = False,
) -> None:
    """Signing key: make a new Ed25519 key on this machine; the private half never leaves it."""
    key = SigningKey.generate()
    try:
        save_signing_key(key, out)
    except FileExistsError as exc:
        raise fail(f"{out} exists; refusing to overwrite a key") from exc
    if as_json:
        made = {"key_id": key.key_id, "public_key": key.public_b64, "path": str(out.resolve())}
        typer.echo(json.dumps(made))
        return
    console.print(f"key id:     {key.key_id}")
    console.print(f"public key: {key.public_b64}")
    console.print(
        f"Private key written to {out}. Register it: traceability keys register --key {out}"
    )


@keys_app.command("register")
def keys_register(
    key: Annotated[Path, typer.Option(help="The private key file made by 'keys generate'.")],
    as_json: JsonOption = False,
) -> None:
    """Signing key: register its public half with the portal (TRACE_API_URL, TRACE_API_KEY)."""
    settings = Settings()

    async def run() -> dict[str, object]:
        async with portal_client(settings) as portal:
            return await portal.register_key(load_signing_key(key))

    try:
        registered = asyncio.run(run())
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(registered, ensure_ascii=False))
        return
    console.print(f"Registered {registered['key_id']} (valid from {registered['valid_from']}).")


keys_app.command("create")(api_keys.keys_create)
keys_app.command("list")(api_keys.keys_list)
keys_app.command("revoke")(api_keys.keys_revoke)
