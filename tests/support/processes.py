"""Re-exported from `devsupport.processes` (shared with bench/)."""

from devsupport.processes import (
    ROOT,
    env_with,
    monitor,
    private_queue,
    start_worker,
    stop,
    wait_for,
)

__all__ = ["ROOT", "env_with", "monitor", "private_queue", "start_worker", "stop", "wait_for"]
