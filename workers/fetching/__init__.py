"""Fetching: what to fetch and how, politely (HTTP, robots.txt, rate limit, breaker, crawl)."""
