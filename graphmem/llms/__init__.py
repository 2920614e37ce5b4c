"""Language models: the :class:`LLM` contract and the OpenAI-compatible client.

``graphmem.llms.openai`` imports the ``openai`` package, so it is not imported here: ``import
graphmem`` must stay light.
"""

from __future__ import annotations

from graphmem.llms.base import LLM, Message, Usage
from graphmem.llms.providers import PROVIDERS, Provider

__all__ = ["LLM", "PROVIDERS", "Message", "Provider", "Usage"]
