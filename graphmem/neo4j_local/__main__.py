"""``python -m graphmem.neo4j_local start|stop|status``."""

from __future__ import annotations

import sys

from graphmem.neo4j_local import main

sys.exit(main())
