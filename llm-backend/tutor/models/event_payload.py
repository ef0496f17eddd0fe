"""A stored tutor event (`events` row) read back: its payload, and which events are safety
redirects. The pipeline writes a redirect with these names; the replay's safety flags and the
agent logs' `safety` agent recognise it by the same ones, never by searching the text."""

from __future__ import annotations

import json
from typing import Any, Final

from shared.models.entities import Event

# The event a safety redirect writes: node `Remediate`, payload action `safety_redirect`.
SAFETY_NODE: Final = "Remediate"
SAFETY_ACTION: Final = "safety_redirect"


def payload(event: Event) -> dict[str, Any]:
    """The event's payload object ({} when empty or unreadable; a bare value as `value`)."""
    try:
        value = json.loads(event.payload_json or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def is_safety_redirect(event: Event) -> bool:
    return event.node == SAFETY_NODE and payload(event).get("action") == SAFETY_ACTION
