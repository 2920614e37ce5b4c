"""graphmem: graph memory for AI agents behind the mem0 ``Memory`` API."""

from __future__ import annotations
