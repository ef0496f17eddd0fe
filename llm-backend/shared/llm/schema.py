"""JSON schemas for structured output, in the strict form providers enforce."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel

# Keywords strict structured-output modes reject or ignore; validation happens in Pydantic anyway.
_DROPPED_KEYWORDS = ("default", "examples")


@cache
def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's schema with every object closed (`additionalProperties: false`) and every
    property required, as OpenAI's strict mode demands (optional fields stay nullable).

    Built once per model class (generating it was a visible share of a call's CPU) and shared
    by every call: read it, never change it (a provider that needs another form copies it)."""
    schema = copy.deepcopy(model.model_json_schema())
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, dict):
        for keyword in _DROPPED_KEYWORDS:
            node.pop(keyword, None)
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"].keys())
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for item in node:
            _close(item)
