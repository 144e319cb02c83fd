"""`monitor kibana import`: load the shipped saved objects (data view, searches, dashboard)."""

from __future__ import annotations

from pathlib import Path

import click
import httpx

from tasks.cli.base import EXIT_ITEMS_FAILED, EXIT_UNAVAILABLE, fail, main, warn
from workers.settings import Settings, get_settings, redact

SAVED_OBJECTS = Path(__file__).resolve().parents[2] / "infra" / "kibana"
IMPORT_PATH = "/api/saved_objects/_import"


@main.group()
def kibana() -> None:
    """Kibana: saved objects for analysts (data view, saved searches, dashboard)."""


def _auth(settings: Settings) -> tuple[dict[str, str], tuple[str, str] | None]:
    """Kibana credentials, falling back to the Elasticsearch ones (the same users)."""
    api_key = settings.kibana_api_key or settings.elasticsearch_api_key
    if api_key is not None:
        return {"Authorization": f"ApiKey {api_key.get_secret_value()}"}, None
    user = settings.kibana_username or settings.elasticsearch_username
    password = settings.kibana_password or settings.elasticsearch_password
    if user and password is not None:
        return {}, (user, password.get_secret_value())
    return {}, None


@kibana.command("import")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SAVED_OBJECTS,
    show_default=True,
    help="Directory of .ndjson saved-object files.",
)
def import_(directory: Path) -> None:
    """Import the saved objects into Kibana (MONITOR_KIBANA_URL), overwriting older copies.

    Idempotent: objects keep fixed ids, so a second import replaces the first.
    """
    settings = get_settings()
    if not settings.kibana_url:
        fail("set MONITOR_KIBANA_URL, e.g. http://localhost:5601")
    assert settings.kibana_url is not None
    files = sorted(directory.glob("*.ndjson"))
    if not files:
        fail(f"no .ndjson files in {directory}")
    headers, auth = _auth(settings)
    headers["kbn-xsrf"] = "true"
    where = redact(settings.kibana_url)
    failed = False
    verify: str | bool = str(settings.elasticsearch_ca_certs or "") or True
    with httpx.Client(
        base_url=settings.kibana_url,
        headers=headers,
        auth=auth,
        verify=verify,
        timeout=settings.elasticsearch_request_timeout_s,
    ) as client:
        for path in files:
            try:
                response = client.post(
                    IMPORT_PATH,
                    params={"overwrite": "true"},
                    files={"file": (path.name, path.read_bytes(), "application/ndjson")},
                )
            except httpx.HTTPError as exc:
                fail(f"Kibana at {where} is unreachable: {exc}", EXIT_UNAVAILABLE)
            if response.status_code in (401, 403):
                fail(
                    f"Kibana at {where} refused the credentials (HTTP {response.status_code})",
                    EXIT_UNAVAILABLE,
                )
            if response.status_code >= 400:
                fail(
                    f"Kibana at {where}: HTTP {response.status_code}: {response.text[:300]}",
                    EXIT_UNAVAILABLE,
                )
            result = response.json()
            for error in result.get("errors") or ():
                failed = True
                warn(f"{path.name}: {error.get('type')} {error.get('id')}: {error.get('error')}")
            click.echo(f"{path.name}: imported {result.get('successCount', 0)} object(s)")
    if failed:
        raise SystemExit(EXIT_ITEMS_FAILED)
