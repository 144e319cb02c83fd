"""Helpers shared by the tests and the benchmarks: the real `monitor` command and
Celery workers as subprocesses (`processes`), a private `redis-server` (`redis_server`).

Development only: not part of the installed package. `tests/support` re-exports them,
so `bench/` imports nothing from `tests/`.
"""
