"""Issue 22: hostile input against real local HTTP servers, each bad case alone and
beside good entries.

The cases are the second hostile-input audit's (issue 22); the servers are
`devsupport.site.Site`, the look-alike of jamestown.org, with faults.
"""

from __future__ import annotations

import time

import pytest

from devsupport.site import Fault, Site
from workers.cache import MemoryCache
from workers.fetching.fetch import Fetcher, TransientFetchError
from workers.settings import Settings

pytestmark = pytest.mark.integration


def test_headers_dripped_a_byte_at_a_time_are_cut_at_the_total_deadline(tmp_path) -> None:
    """The status line, then one header byte every 0.2 s for 12 s: every read returns
    well within the 5 s read timeout, so only a deadline over the headers stops it."""
    site = Site().start()
    site.faults["/program/slow-headers/"].append(Fault(drip_headers_s=0.2))
    settings = Settings(
        data_dir=tmp_path,
        allowed_hosts=site.base.removeprefix("http://"),
        fetch_timeout_s=5,
        fetch_deadline_s=1.5,
        fetch_max_attempts=1,
    )
    fetcher = Fetcher.from_settings(settings, cache=MemoryCache())
    started = time.monotonic()
    try:
        with pytest.raises(TransientFetchError, match="within the deadline"):
            fetcher.get(site.url("/program/slow-headers/"))
    finally:
        fetcher.close()
        site.stop()
    assert time.monotonic() - started < 5
