"""Discovery: what to fetch (feeds, sitemaps, the WordPress REST API, listings, archive
captures, files on disk). Reading a page into fields is extraction (`workers.extract`)."""
