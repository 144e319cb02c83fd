"""`monitor kibana import`: load the shipped saved objects (data view, searches, dashboard).

The objects carry `typeMigrationVersion` 8.9.0 (Lens and dashboards as Kibana 8.9
writes them), so Kibana older than 8.9 cannot import them: the command asks Kibana's
version first and says so instead of failing object by object. The data view's title
is the index pattern it searches; it is set to `MONITOR_ELASTICSEARCH_ALIAS` as the
files are sent (its id stays fixed, so every reference to it still resolves).

Kibana is its own service: its certificate is checked against `MONITOR_KIBANA_CA_CERTS`
(never the Elasticsearch CA, which may be another), and its credentials are
`MONITOR_KIBANA_*`. Falling back to the Elasticsearch API key is said before the
request, because the per-role keys docs/elasticsearch.md recommends hold index
privileges only and Kibana answers them 403. A space (`--space`, `MONITOR_KIBANA_SPACE`)
goes in the URL path, `/s/<space>/api/...`, as Kibana's spaces expect.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from tasks.cli.base import EXIT_ITEMS_FAILED, EXIT_UNAVAILABLE, fail, main, warn

if TYPE_CHECKING:  # httpx and the settings load when the command runs
    import httpx
    from pydantic import SecretStr

    from workers.settings import Settings

# Package data, so an installed wheel has them.
SAVED_OBJECTS = Path(str(files("tasks.cli") / "data" / "kibana"))
IMPORT_PATH = "/api/saved_objects/_import"
STATUS_PATH = "/api/status"
SPACE_PATH = "/api/spaces/space/"
_SPACE_ID = re.compile(r"^[a-z0-9_-]+$")  # Kibana space ids: lowercase, digits, '_' and '-'
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


class Credentials(NamedTuple):
    headers: dict[str, str]
    auth: tuple[str, str] | None
    borrowed: str | None  # the Elasticsearch setting used for lack of a Kibana one


def credentials(settings: Settings) -> Credentials:
    """Kibana credentials: MONITOR_KIBANA_*, else the Elasticsearch ones (the same users
    in the development stack), saying which Elasticsearch setting was borrowed."""
    if settings.kibana_api_key is not None:
        return Credentials(_api_key(settings.kibana_api_key), None, None)
    if settings.kibana_username and settings.kibana_password is not None:
        return Credentials({}, (settings.kibana_username, _secret(settings.kibana_password)), None)
    if settings.elasticsearch_api_key is not None:
        key = settings.elasticsearch_api_key
        return Credentials(_api_key(key), None, "MONITOR_ELASTICSEARCH_API_KEY")
    user = settings.kibana_username or settings.elasticsearch_username
    password = settings.kibana_password or settings.elasticsearch_password
    if user and password is not None:
        return Credentials({}, (user, _secret(password)), "MONITOR_ELASTICSEARCH_USERNAME")
    return Credentials({}, None, None)


def _api_key(key: SecretStr) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key.get_secret_value()}"}


def _secret(value: SecretStr) -> str:
    return value.get_secret_value()


def borrowed_warning(borrowed: str) -> str:
    """What to say before a request made with an Elasticsearch credential."""
    if borrowed == "MONITOR_ELASTICSEARCH_API_KEY":
        return (
            "warning: no MONITOR_KIBANA_API_KEY or MONITOR_KIBANA_USERNAME/PASSWORD: using "
            "MONITOR_ELASTICSEARCH_API_KEY, which Kibana refuses (403) unless the key also "
            "holds Kibana privileges (saved objects management); the per-role keys of "
            "docs/elasticsearch.md do not: set MONITOR_KIBANA_API_KEY"
        )
    return (
        "warning: no MONITOR_KIBANA_USERNAME/PASSWORD or MONITOR_KIBANA_API_KEY: using the "
        "Elasticsearch user for Kibana"
    )


def space_prefix(space: str | None) -> str:
    """The path prefix of a Kibana space ('' for the default space)."""
    return f"/s/{space}" if space and space != "default" else ""


def _check_space(client: httpx.Client, space: str, where: str) -> None:
    """Refuse a space Kibana does not have (its import would fail less clearly); go on
    when Kibana does not say (reading spaces may need more privileges than the import)."""
    import httpx

    try:
        response = client.get(SPACE_PATH + space)
    except httpx.HTTPError:
        return
    if response.status_code == 404:
        fail(
            f"Kibana at {where} has no space {space!r}: create it (Stack Management > Spaces) "
            "or pass another --space / MONITOR_KIBANA_SPACE"
        )


@kibana.command("import")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SAVED_OBJECTS,
    show_default=True,
    help="Directory of .ndjson saved-object files.",
)
@click.option(
    "--space",
    help="Kibana space id to import into (default: MONITOR_KIBANA_SPACE, else the default space).",
)
def import_(directory: Path, space: str | None) -> None:
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
    space = space or settings.kibana_space
    if space is not None and not _SPACE_ID.match(space):
        fail(f"--space {space!r}: a Kibana space id has only a-z, 0-9, '_' and '-'")
    files = sorted(directory.glob("*.ndjson"))
    if not files:
        fail(f"no .ndjson files in {directory}")
    verify: str | bool = True
    if settings.kibana_ca_certs is not None:
        if not settings.kibana_ca_certs.is_file():
            fail(f"MONITOR_KIBANA_CA_CERTS: no such file: {settings.kibana_ca_certs}")
        verify = str(settings.kibana_ca_certs)
    creds = credentials(settings)
    if creds.borrowed:
        warn(borrowed_warning(creds.borrowed))
    where = redact(settings.kibana_url)
    failed = False
    with httpx.Client(
        base_url=settings.kibana_url,
        headers={**creds.headers, "kbn-xsrf": "true"},
        auth=creds.auth,
        verify=verify,
        timeout=settings.elasticsearch_request_timeout_s,
    ) as client:
        _check_version(client, where)
        if space_prefix(space):
            _check_space(client, str(space), where)
        for path in files:
            payload = objects_for_alias(
                path.read_text(encoding="utf-8"), settings.elasticsearch_alias
            )
            try:
                response = client.post(
                    space_prefix(space) + IMPORT_PATH,
                    params={"overwrite": "true"},
                    files={"file": (path.name, payload.encode("utf-8"), "application/ndjson")},
                )
            except httpx.HTTPError as exc:
                fail(_unreachable(where, exc), EXIT_UNAVAILABLE)
            if response.status_code in (401, 403):
                fail(_refused(where, response.status_code, creds.borrowed), EXIT_UNAVAILABLE)
            if response.status_code >= 400:
                fail(
                    f"Kibana at {where}: HTTP {response.status_code}: {response.text[:300]}",
                    EXIT_UNAVAILABLE,
                )
            result = response.json()
            for error in result.get("errors") or ():
                failed = True
                warn(f"{path.name}: {error.get('type')} {error.get('id')}: {error.get('error')}")
            into = f" into space {space}" if space_prefix(space) else ""
            click.echo(f"{path.name}: imported {result.get('successCount', 0)} object(s){into}")
    if failed:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _unreachable(where: str, exc: httpx.HTTPError) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return (
            f"Kibana at {where}: its TLS certificate is not trusted ({exc}): set "
            "MONITOR_KIBANA_CA_CERTS to the CA (PEM) that signed it"
        )
    return f"Kibana at {where} is unreachable: {exc}"


def _refused(where: str, status: int, borrowed: str | None) -> str:
    message = f"Kibana at {where} refused the credentials (HTTP {status})"
    if borrowed:
        return (
            f"{message}: they are {borrowed}'s, not Kibana's; set MONITOR_KIBANA_API_KEY "
            "(or MONITOR_KIBANA_USERNAME/PASSWORD) to a user with Kibana privileges"
        )
    return message
