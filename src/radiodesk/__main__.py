"""Allow ``python -m radiodesk``."""

from radiodesk.cli import main

raise SystemExit(main())
