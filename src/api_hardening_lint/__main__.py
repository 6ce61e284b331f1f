"""Run the command line interface with ``python -m api_hardening_lint``."""

from api_hardening_lint.cli import main

main()
