"""``python -m evaluation ...`` is ``stag eval-agent ...``."""

from evaluation.cli import main

raise SystemExit(main())
