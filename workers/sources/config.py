"""Source configuration: a TOML file loaded into typed, validated config objects.

`MONITOR_SOURCES_FILE` names the file; unset, the packaged `default_sources.toml`
(jamestown.org as one `site` source, with per-publication feeds and listings as
disabled fallbacks) is used. Mistakes in the file are user
mistakes: `load_sources` raises `SourceConfigError` with one line naming the source
and the field.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workers.model import InputError
from workers.settings import Settings
from workers.urls import URLError, canonical_url

SourceKind = Literal["site", "wordpress", "sitemap", "feed", "listing", "wayback"]


class SourceConfigError(InputError):
    """The sources file cannot be read or does not describe valid sources."""


class SourceConfig(BaseModel):
    """One source. `url` is the site root (`site`, `wordpress`), the sitemap, the
    feed or the listing's first page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.:-]*$", max_length=80)]
    kind: SourceKind
    url: str
    enabled: bool = True
    interval_s: Annotated[int, Field(ge=10)] | None = None
    # wordpress (and site): REST route (posts or a custom type) and page size.
    route: str = "wp/v2/posts"
    per_page: Annotated[int, Field(ge=1, le=100)] = 100
    # listing: where article links point (None: `/program/<slug>/` or a root-level
    # article slug, see workers.urls.is_article_url); a page cap (None: the setting).
    article_prefix: str | None = None
    max_pages: Annotated[int, Field(ge=1)] | None = None
    # wayback: the years of captures to read (CDX `from`/`to`, inclusive); max_pages
    # caps the CDX pages per run (the walk resumes on the next run).
    from_year: Annotated[int, Field(ge=1996, le=2100)] | None = None
    to_year: Annotated[int, Field(ge=1996, le=2100)] | None = None

    @property
    def years(self) -> tuple[int | None, int | None]:
        return self.from_year, self.to_year

    @field_validator("url")
    @classmethod
    def _canonical(cls, value: str) -> str:
        try:
            return canonical_url(value)
        except URLError as exc:
            raise ValueError(str(exc)) from exc


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: list[SourceConfig] = []


def default_sources_path() -> Path:
    return Path(str(resources.files("workers.sources").joinpath("default_sources.toml")))


def load_sources(settings: Settings, *, include_disabled: bool = False) -> list[SourceConfig]:
    """The configured sources, in file order (enabled ones unless asked otherwise)."""
    path = settings.sources_file or default_sources_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceConfigError(f"sources file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"sources file {path} is not valid TOML: {exc}") from exc
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SourceConfigError(f"sources file {path}: {where}: {first['msg']}") from exc
    names = [s.name for s in parsed.source]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceConfigError(f"sources file {path}: duplicate source name(s) {duplicates}")
    return [s for s in parsed.source if include_disabled or s.enabled]


def interval_of(source: SourceConfig, settings: Settings) -> int:
    return source.interval_s or settings.source_interval_s
