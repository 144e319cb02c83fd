"""`python -m tasks.cli` is the `monitor` command (handy where the script is not on PATH)."""

from tasks.cli import main

main(prog_name="monitor")
