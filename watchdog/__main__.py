"""`python -m watchdog` is the same as the `dr-watchdog` console script."""

from watchdog.cli import main

raise SystemExit(main())
