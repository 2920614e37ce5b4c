"""Prompt texts for the LLM paths, one module per task.

Each task has a replaceable *guidance* part (what to keep, how to decide) and a fixed *contract*
part (how speakers are shown, the JSON to return). Custom prompts replace the guidance only, so a
custom prompt can change what is remembered but cannot break attribution or the JSON contract.
"""
