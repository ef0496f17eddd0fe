"""Safety redirects are recognised by the event's node and payload action, the names the
pipeline writes, never by finding the words somewhere in the stored text."""

from __future__ import annotations

import json

from shared.models.entities import Event
from tutor.models.event_payload import is_safety_redirect, payload


def _event(node: str, body: object) -> Event:
    return Event(session_id="s", node=node, step_idx=0, payload_json=json.dumps(body))


def test_a_redirect_is_a_remediate_event_with_the_safety_action():
    redirect = {"action": "safety_redirect", "category": "violence", "turn": 1}
    assert is_safety_redirect(_event("Remediate", redirect)) is True


def test_the_words_elsewhere_in_an_event_do_not_make_it_a_redirect():
    # The old substring test counted both of these as safety flags.
    mentions = {"action": "reteach", "misconception": '"safety_redirect"'}
    assert is_safety_redirect(_event("Remediate", mentions)) is False
    assert is_safety_redirect(_event("Present", {"action": "safety_redirect"})) is False


def test_a_payload_reads_as_an_object_whatever_was_stored():
    assert payload(_event("Present", {"turn": 2})) == {"turn": 2}
    assert payload(_event("Present", [1])) == {"value": [1]}
    assert payload(Event(session_id="s", node="Present", step_idx=0, payload_json="{oops")) == {}
    assert payload(Event(session_id="s", node="Present", step_idx=0, payload_json=None)) == {}
