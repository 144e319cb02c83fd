"""Re-exported from `devsupport.redis_server` (shared with bench/)."""

from devsupport.redis_server import RedisServer, free_port, private_redis

__all__ = ["RedisServer", "free_port", "private_redis"]
