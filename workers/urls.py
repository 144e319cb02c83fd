"""Canonical URLs and the allowed-host check.

The canonical URL is an article's identity: it becomes `RawArticle.url`, hence the
document id (`normalize.article_id`), and it keys the HTTP validators and content
hashes in the cache. Two spellings of one page (tracking parameters, `www.`, a
missing trailing slash, the staging mirror) must therefore map to one string, or the
same article is fetched, enriched and indexed twice under two ids.

Policy, in order: lowercase scheme and host; drop the default port, userinfo and the
fragment; map host aliases (`www.jamestown.org`, and `staging.jamestown.org` whose
pages mirror production) to the production host; collapse `//` and dot segments;
end WordPress "pretty" paths with a slash (the site's own form, `/program/<slug>/`);
drop tracking parameters and sort the rest.

Articles and their ids. Since the 2025 rebuild jamestown.org serves articles at
root-level slugs (`/<slug>/`); the old `/program/<slug>/` links redirect (301) to
them. `is_article_url` tells article links from the site's other pages where a
source cannot say (feeds, listings); `article_key` is the URL an article's *id* is
made from: the historic `/program/<slug>/` form for either spelling, so an article
indexed before the rebuild keeps its id when fetched under its new address and
no migration is needed (docs/fetching.md "Article identity").
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from workers.model import InputError

PRODUCTION_HOST = "jamestown.org"
# Hosts whose pages are the production site's pages under another name.
HOST_ALIASES: Mapping[str, str] = {
    "www.jamestown.org": PRODUCTION_HOST,
    "staging.jamestown.org": PRODUCTION_HOST,
}
# Never fetched from, whatever the configuration says: a mirror that may hold drafts.
REFUSED_HOSTS = frozenset({"staging.jamestown.org"})

ARTICLE_PREFIX = "/program/"
# First path segments that are never articles: post types that are not posts
# (books, reports), people, publication and program pages, WordPress machinery.
NOT_ARTICLES = frozenset(
    {
        "about",
        "about-us",
        "analyst",
        "analysts",
        "author",
        "blog",
        "book",
        "books",
        "category",
        "contact",
        "donate",
        "event",
        "events",
        "experts",
        "feed",
        "page",
        "program-name",
        "programs",
        "publications",
        "report",
        "reports",
        "search",
        "support",
        "tag",
        "wp-admin",
        "wp-content",
        "wp-json",
        "wp-sitemap.xml",
    }
)

_TRACKING_PREFIXES = ("utm_", "mc_", "_hs")
_TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "_ga", "_gl", "ref", "ref_src"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class URLError(InputError):
    """A URL that cannot be fetched: not http(s), no host, or a host not allowed."""


def canonical_url(url: str, *, base: str | None = None) -> str:
    """The one spelling of `url` (resolved against `base` first, if given)."""
    try:
        if base is not None:
            url = urljoin(base, url)
        parts = urlsplit(url.strip())
    except ValueError as exc:  # "Invalid IPv6 URL" and the like: a bad entry, not a bug
        raise URLError(f"not a valid URL ({exc}): {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise URLError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise URLError(f"URL has no host: {url!r}")
    host = HOST_ALIASES.get(host, host)
    try:
        port = parts.port
    except ValueError as exc:
        raise URLError(f"URL has an invalid port: {url!r}") from exc
    netloc = _authority(host, None if port == _DEFAULT_PORTS[scheme] else port)
    return urlunsplit((scheme, netloc, _path(parts.path), _query(parts.query), ""))


def listed_url(
    link: str | None, *, base: str, entry: str, missing: str, errors: list[str]
) -> str | None:
    """The canonical URL of one entry of a listing (feed, sitemap), or None with the
    reason added to `errors`: one bad entry is reported, the others are read."""
    if not link:
        errors.append(f"{entry} {missing}")
        return None
    try:
        return canonical_url(link, base=base)
    except URLError as exc:
        errors.append(f"{entry}: {exc}")
        return None


def _path(path: str) -> str:
    if not path:
        return "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    # normpath keeps a leading '//' (POSIX allows it); a URL path never means that.
    path = "/" + path.lstrip("/")
    last = path.rsplit("/", 1)[-1]
    # WordPress pages end in '/', files have an extension; the REST API has neither.
    wants_slash = trailing or ("." not in last and not path.startswith("/wp-json"))
    if wants_slash and not path.endswith("/"):
        path += "/"
    return path


def _query(query: str) -> str:
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlencode(sorted(pairs))


def host_of(url: str) -> str:
    """The host identity of `url`: the lowercase host name, with `:port` when the port
    is not the scheme's default (a Redis on 127.0.0.1:6391 is not the site on
    127.0.0.1:80); "" when `url` is not a URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    return _authority(host, port)


def site_of(url: str) -> str:
    """The lowercase host name of `url`, without the port: the unit of politeness (the
    rate limit) and of blocks (the breaker), since those concern the machine and its
    bot protection, whatever port a page is on."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _authority(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    return shown if port is None else f"{shown}:{port}"


def check_allowed(url: str, allowed_hosts: Collection[str]) -> None:
    """Raise `URLError` unless `url` is http(s) on an allowed, non-refused host and port.

    The port is part of the identity: an entry `jamestown.org` allows the default ports
    (80 for http, 443 for https) only, `127.0.0.1:8080` that port only, and
    `127.0.0.1:*` any port (local test sites). So a listing or a redirect that points
    at another service on an allowed machine (a Redis on 127.0.0.1:6391) is refused.

    `url` is checked as given, before alias mapping: a redirect to the staging mirror
    is refused even though its canonical form names production.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise URLError(f"not a valid URL ({exc}): {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise URLError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if host in REFUSED_HOSTS:
        raise URLError(f"{host} is a staging mirror and is never fetched")
    default = port is None or port == _DEFAULT_PORTS[scheme]
    for name in dict.fromkeys([host, HOST_ALIASES.get(host, host)]):
        spelled = {_authority(name, None if default else port), _authority(name, None) + ":*"}
        if default:
            spelled.add(_authority(name, _DEFAULT_PORTS[scheme]))
        if spelled & set(allowed_hosts):
            return
    where = _authority(host, None if default else port)
    raise URLError(f"host {where!r} is not in the allowed hosts ({', '.join(allowed_hosts)})")


def is_http_url(text: str) -> bool:
    """Whether a command-line argument is a URL rather than a file path."""
    return text.lower().startswith(("http://", "https://"))


def _slug_of(path: str) -> str | None:
    """The article slug of a `/<slug>/` or `/program/<slug>/` path, else None."""
    segments = [part for part in path.split("/") if part]
    if len(segments) == 2 and f"/{segments[0]}/" == ARTICLE_PREFIX:
        slug = segments[1]
    elif len(segments) == 1:
        slug = segments[0]
    else:
        return None
    if slug.lower() in NOT_ARTICLES or "." in slug or slug.startswith("wp-"):
        return None
    return slug


def is_article_url(url: str) -> bool:
    """Whether a canonical URL found in a feed or listing is an article (a post).

    `/program/<slug>/` always is; a root-level `/<slug>/` is when its slug is not a
    known section and reads like a headline (three words or more: the site's own
    pages, `/about-us/` or `/privacy-policy/`, are one or two). Sources that know the
    post type (the REST API, post sitemaps) do not need this guess.
    """
    return not_article_reason(url) is None


def not_article_reason(url: str) -> str | None:
    """Why `is_article_url` refuses `url` (a short category a run counts its skips
    by: "not an article (book)", "not an article (short slug)"), or `None`."""
    parts = urlsplit(url)
    segments = [part for part in parts.path.split("/") if part]
    if not segments:
        return "not an article (home page)"
    slug = _slug_of(parts.path)
    if slug is None:
        first = segments[0].lower()
        return f"not an article ({first})" if first in NOT_ARTICLES else "not an article (page)"
    if parts.query:
        return "not an article (page with a query)"
    if parts.path.startswith(ARTICLE_PREFIX) or slug.count("-") >= 2:
        return None
    return "not an article (short slug)"  # a page; a short post is found by REST or sitemaps


def is_post_url(url: str) -> bool:
    """Whether a URL can be a post's at all (`/<slug>/` or `/program/<slug>/`, not a
    known section): what a *post* sitemap's entries must be. The home page, a posts
    page, archives, categories, authors and `/page/N/` are not, though Yoast lists the
    home or posts page first in `post-sitemap.xml` (issue 21)."""
    parts = urlsplit(url)
    return _slug_of(parts.path) is not None and not parts.query


def article_key(url: str) -> str:
    """The URL an article's id is made from: `/<slug>/` and `/program/<slug>/` are one."""
    parts = urlsplit(url)
    slug = _slug_of(parts.path)
    if slug is None or parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, f"{ARTICLE_PREFIX}{slug}/", "", ""))
