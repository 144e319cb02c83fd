"""`monitor config`: the effective settings, secrets redacted, or the README table."""

from __future__ import annotations

import click

from tasks.cli.base import aligned, echo_json, main


def _shown(value: object) -> str:
    """A value safe to print: a URL without its credentials, any other secret as ***."""
    from pydantic import SecretStr

    from workers.settings import redact, redact_text

    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return redact(secret) if "://" in secret else "***"
    return "" if value is None else redact_text(str(value))


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="'markdown' prints the configuration table of README.md (defaults, not values).",
)
def config(fmt: str) -> None:
    """Show every MONITOR_* setting with its current value (secrets redacted)."""
    from workers.settings import Settings, get_settings

    if fmt == "markdown":
        click.echo("| variable | default | what it does |\n|---|---|---|")
        for name, field in Settings.model_fields.items():
            default = "unset" if field.default is None else f"`{field.default}`"
            click.echo(f"| `MONITOR_{name.upper()}` | {default} | {field.description} |")
        return
    settings = get_settings()
    values = {f"MONITOR_{n.upper()}": _shown(getattr(settings, n)) for n in Settings.model_fields}
    if fmt == "json":
        echo_json(values)
        return
    for line in aligned([(name, value or "(unset)") for name, value in values.items()]):
        click.echo(line)
