"""``python -m verifier ...`` is ``stag eval ...`` (see :mod:`verifier.cli`)."""

from verifier.cli import main

raise SystemExit(main())
