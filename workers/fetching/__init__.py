"""Fetching: how a page is fetched, politely (HTTP, robots.txt, rate limit, breaker, decoding).

A leaf: nothing here imports discovery (`workers.sources`), extraction
(`workers.extract`) or orchestration (`workers.crawl`, `workers.ingest`, ...).
"""
