"""Real services for tests: a redis-server per test session, Celery worker processes."""
