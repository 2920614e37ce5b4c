"""graphmem over HTTP: the REST server (``graphmem serve``), its clients, webhooks and MCP tools.

Modules are imported when used: ``app`` needs FastAPI and uvicorn, ``client`` httpx, ``mcp`` the
``mcp`` SDK (``pip install 'graphmem[server]'``); ``auth`` and ``webhooks`` need neither.
"""
