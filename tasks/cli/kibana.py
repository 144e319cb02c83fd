"""`monitor kibana import`: load the shipped saved objects (data view, searches, dashboard).

The objects carry `typeMigrationVersion` 8.9.0 (Lens and dashboards as Kibana 8.9
writes them), so Kibana older than 8.9 cannot import them: the command asks Kibana's
version first and says so instead of failing object by object. The data view's title
is the index pattern it searches; it is set to `MONITOR_ELASTICSEARCH_ALIAS` as the
files are sent (its id stays fixed, so every reference to it still resolves).
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tasks.cli.base import EXIT_ITEMS_FAILED, EXIT_UNAVAILABLE, fail, main, warn

if TYPE_CHECKING:  # httpx and the settings load when the command runs
    import httpx

    from workers.settings import Settings

# Package data, so an installed wheel has them.
SAVED_OBJECTS = Path(str(files("tasks.cli") / "data" / "kibana"))
IMPORT_PATH = "/api/saved_objects/_import"
STATUS_PATH = "/api/status"
MIN_KIBANA = (8, 9, 0)  # the highest typeMigrationVersion in SAVED_OBJECTS
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def objects_for_alias(ndjson: str, alias: str) -> str:
    """The saved objects with the data view's title (its index pattern) set to `alias`."""
    lines = []
    for line in ndjson.splitlines():
        if line.strip():
            obj = json.loads(line)
            if obj.get("type") == "index-pattern":
                obj["attributes"]["title"] = alias
                line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        lines.append(line)
    return "\n".join(lines) + "\n"


def too_old(version: str) -> bool:
    """Whether a Kibana version string ('8.8.2', '9.0.0-SNAPSHOT') predates MIN_KIBANA."""
    found = _VERSION.match(version)
    return found is not None and tuple(map(int, found.groups())) < MIN_KIBANA


def _check_version(client: httpx.Client, where: str) -> None:
    """Refuse a Kibana too old for the objects; go on when it does not say (the
    status API may need more privileges than the import)."""
    import httpx

    try:
        response = client.get(STATUS_PATH)
        version = str(response.json()["version"]["number"]) if response.is_success else ""
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return
    if too_old(version):
        wanted = ".".join(map(str, MIN_KIBANA))
        fail(
            f"Kibana {version} at {where} is too old: the saved objects need Kibana "
            f"{wanted} or later (typeMigrationVersion {wanted})"
        )


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

    Needs Kibana 8.9 or later. The data view searches MONITOR_ELASTICSEARCH_ALIAS.
    Idempotent: objects keep fixed ids, so a second import replaces the first.
    """
    import httpx

    from workers.settings import get_settings, redact

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
        _check_version(client, where)
        for path in files:
            payload = objects_for_alias(
                path.read_text(encoding="utf-8"), settings.elasticsearch_alias
            )
            try:
                response = client.post(
                    IMPORT_PATH,
                    params={"overwrite": "true"},
                    files={"file": (path.name, payload.encode("utf-8"), "application/ndjson")},
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
