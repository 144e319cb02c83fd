"""`monitor serve`: the search page in a browser, from this machine's store."""

from __future__ import annotations

import socket

import click

from tasks.cli.base import fail, main, open_runtime

_ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104  (named to be recognized, not bound)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default answers this machine only; 0.0.0.0 opens "
    "the page to the network (there is no login: the archive becomes readable by anyone "
    "who can reach the port).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8700,
    show_default=True,
    help="Port to listen on (0: any free port, printed at start).",
)
def serve(host: str, port: int) -> None:
    """Serve the search page: search, facets, articles with their citations and
    "cited by", CSV/JSON export. Read-only, over the configured store (embedded or
    Elasticsearch); Ctrl-C stops it. See docs/search.md "The search page".
    """
    import uvicorn  # loaded only for this command

    from tasks.web.app import LOCAL_HOSTS, create_app
    from workers.settings import redact

    settings = open_runtime().settings
    listener = _listen(host, port)
    bound = listener.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    allowed = ["*"] if host in _ANY_ADDRESS else [*LOCAL_HOSTS, host]
    app = create_app(
        # The store thread owns the store: it closes it, and opens a fresh one (a fresh
        # runtime's) after an outage.
        lambda: open_runtime().store,
        timeout_s=settings.serve_request_timeout_s,
        allowed_hosts=allowed,
    )
    where = (
        redact(settings.elasticsearch_url.get_secret_value())
        if settings.elasticsearch_url
        else f"the embedded store in {settings.data_dir}"
    )
    click.echo(f"monitor: serving {where} at http://{shown}:{bound}/ (Ctrl-C stops)", err=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        limit_concurrency=64,  # beyond this, 503 at once instead of a growing queue
        timeout_keep_alive=5,
    )
    uvicorn.Server(config).run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a taken port or a bad address is one
    error line (and `--port 0` knows its port before the server starts)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    listener.set_inheritable(True)
    return listener
