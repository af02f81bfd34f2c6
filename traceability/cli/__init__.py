"""The `traceability` console script: the app and its commands, one module each."""

from __future__ import annotations

import typer

# The modules, not their functions: a function named like its module would hide the module.
from traceability.cli import (
    audit_log,
    demo,
    keys,
    links,
    loadtest,
    migrate,
    mirror,
    org,
    seed,
    serve,
    submit,
    verify,
    witness,
)

app = typer.Typer(
    help="Engine of Vietnam's national product-traceability portal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(org.org_app, name="org")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(links.links_app, name="links")
app.add_typer(mirror.mirror_app, name="mirror")
app.add_typer(witness.witness_app, name="witness")
app.command()(serve.serve)
app.command()(demo.demo)
app.command()(submit.submit)
app.command()(verify.verify)
app.command("seed")(seed.seed_command)
app.command("audit-log")(audit_log.audit_log_command)
app.command()(migrate.migrate)
app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
    add_help_option=False,
)(loadtest.loadtest)


def main() -> None:
    app()
