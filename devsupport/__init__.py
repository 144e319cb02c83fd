"""Helpers shared by the tests and the benchmarks: the real `monitor` command and
Celery workers as subprocesses (`processes`), a private `redis-server` (`redis_server`),
the jamestown.org look-alike (`site`) and the Wayback Machine look-alike (`archive`).

Development only: not part of the installed package. `bench/` imports nothing from
`tests/` (tests/unit/test_layout.py checks it); the tests import these from here.
"""
