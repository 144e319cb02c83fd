"""Issue 22, point 4: no generated password is ever printed.

Passwords are generated (hypothesis) from the characters that broke redaction in
the audit: `/` (base64 passwords hold it), `#`, `?`, `@`, `:`, `%`, `=` and `+`, among
letters and digits. Each one is put where operators put passwords (the user info of
a broker, Redis, Elasticsearch, Kibana or proxy URL; a `?password=`/`api_key=`/`token=`
query value) and must not survive any output: `monitor config`, an error line as a
client library words it, a log line, a dead-letter entry.

`MARK` sits inside every password so a hit cannot be a coincidence with the rest of
the line (a one-letter password is part of any host name).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import workers.settings as settings_module
from tasks.cli import main
from workers import deadletter
from workers.deadletter import SqliteDeadLetters
from workers.logs import ConsoleFormatter, JsonFormatter
from workers.settings import Settings, get_settings, redact, redact_text

MARK = "Zq7Mark"
HOSTILE = "/#?@:%=+!$*,;[]~"
_chars = st.sampled_from(HOSTILE) | st.characters(
    min_codepoint=33, max_codepoint=126, blacklist_characters="\"'<>\\&"
)
# The password around MARK; no spaces, quotes or `&` (a space or quote ends a URL in
# free text; `&name=` starts the next query parameter).
_halves = st.text(_chars, max_size=12)
passwords = st.builds(lambda a, b: f"{a}{MARK}{b}", _halves, _halves)
# Anything at all, for the secrets a Settings object knows (matched as plain strings).
_anything = st.text(
    st.sampled_from(HOSTILE) | st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12
)
any_passwords = st.builds(lambda a, b: f"{a}{MARK}{b}", _anything, _anything)
SCHEMES = ("redis", "rediss", "http", "https")
QUERY_KEYS = ("password", "api_key", "token", "apikey", "secret", "access_token")


@contextmanager
def no_known_secrets() -> Iterator[None]:
    """Only the URL rules redact: no secret a Settings object was given earlier helps."""
    saved = set(settings_module._KNOWN_SECRETS)
    settings_module._KNOWN_SECRETS.clear()
    try:
        yield
    finally:
        settings_module._KNOWN_SECRETS.update(saved)


def lines_quoting(url: str) -> list[str]:
    """How the URL reaches a terminal or log: quoted by a library, bare, inside JSON."""
    return [
        f"Could not parse URL {url!r}",
        f"Error 111 connecting to {url}. Connection refused.",
        json.dumps({"error": "unreachable", "url": url}),
        f"<{url}>",
    ]


def test_a_slash_in_the_password_is_redacted() -> None:
    assert redact("redis://u:ab/cdPW@h:1/0") == "redis://***@h:1/0"
    line = redact_text("Could not parse URL 'http://e:s3c/retPW@es:9200/'")
    assert line == "Could not parse URL 'http://***@es:9200/'"


@given(password=passwords, scheme=st.sampled_from(SCHEMES), user=st.sampled_from(["", "u"]))
@settings(max_examples=300)
def test_no_userinfo_password_survives_redaction(password: str, scheme: str, user: str) -> None:
    url = f"{scheme}://{user}:{password}@host.example:6379/0"
    with no_known_secrets():
        assert MARK not in redact(url)
        assert redact(url).endswith("@host.example:6379/0")
        for line in lines_quoting(url):
            assert MARK not in redact_text(line), line


@given(password=passwords, key=st.sampled_from(QUERY_KEYS))
@settings(max_examples=300)
def test_no_query_password_survives_redaction(password: str, key: str) -> None:
    url = f"http://es.example:9200/?x=1&{key}={password}&y=2"
    with no_known_secrets():
        assert MARK not in redact(url)
        for line in lines_quoting(url):
            assert MARK not in redact_text(line), line


@given(password=passwords)
@settings(max_examples=100)
def test_no_password_reaches_a_log_line_or_a_dead_letter(password: str) -> None:
    url = f"redis://:{password}@cache:6379/0"
    record = logging.makeLogRecord(
        {"msg": "broker %s unreachable", "args": (url,), "levelname": "ERROR", "where": url}
    )
    with tempfile.TemporaryDirectory() as where, no_known_secrets():
        queue = SqliteDeadLetters(Path(where) / "dlq.sqlite3")
        assert MARK not in JsonFormatter().format(record)
        assert MARK not in ConsoleFormatter("%(message)s").format(record)
        letter = deadletter.record(
            queue,
            kind="url",
            ref="https://jamestown.org/x/",
            stage="fetch",
            error_type="ConnectionError",
            message=f"Could not parse URL {url!r}",
        )
        assert MARK not in letter.message
        assert MARK not in json.dumps([dataclasses.asdict(e) for e in queue.all()], default=str)


@given(password=any_passwords)
@example(password=f"ab/{MARK}")  # the audit's case: base64 passwords hold '/'
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_monitor_config_prints_no_password(password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "MONITOR_BROKER_URL": f"redis://:{password}@broker:6379/0",
        "MONITOR_REDIS_URL": f"redis://user:{password}@cache:6379/1",
        "MONITOR_ELASTICSEARCH_URL": f"https://elastic:{password}@es:9200",
        "MONITOR_KIBANA_URL": f"http://kb:5601/?api_key={password}",
        "MONITOR_HTTP_PROXY": f"http://proxy:{password}@proxy:3128",
        "MONITOR_ELASTICSEARCH_PASSWORD": password,
    }
    get_settings.cache_clear()
    try:
        for fmt in ("table", "json"):
            result = CliRunner().invoke(main, ["config", "--format", fmt], env=env)
            shown = result.output + (result.stderr if result.stderr_bytes else "")
            assert MARK not in shown, shown
            # Not a crash that printed nothing: the hosts are there.
            assert result.exit_code == 0 or "bad setting" in shown, shown
    finally:
        get_settings.cache_clear()


@given(password=any_passwords)
@settings(max_examples=200)
def test_a_secret_a_settings_object_holds_never_prints(password: str) -> None:
    Settings(  # type: ignore[call-arg]
        _env_file=None,
        broker_url=f"redis://:{password}@broker:6379/0",
        elasticsearch_password=password,
    )
    for line in (f"AuthenticationError: {password}", json.dumps({"pw": password})):
        assert MARK not in redact_text(line)
