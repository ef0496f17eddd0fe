"""Turn numbering of a stored conversation log."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluation.models.transcript import number_turns

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_turns_go_up_at_each_student_message():
    log = [
        ("tutor", "Hello! Ready?", "2026-03-01T09:30:00+00:00"),
        ("student", "yes", AT),
        ("teacher", "What is 1/2 of 6?", AT),
        ("student", "3", AT),
        ("student", "wait, 3!", AT),
        ("tutor", "Right.", AT),
    ]
    messages = number_turns(log)
    assert [(m.role, m.content, m.turn) for m in messages] == [
        ("tutor", "Hello! Ready?", 0),
        ("student", "yes", 1),
        ("tutor", "What is 1/2 of 6?", 1),
        ("student", "3", 2),
        ("student", "wait, 3!", 3),
        ("tutor", "Right.", 3),
    ]
    assert messages[0].timestamp == AT
    assert number_turns([]) == []


def test_a_log_that_starts_with_the_student():
    messages = number_turns([("student", "hi", AT), ("tutor", "Hello!", AT)])
    assert [(m.role, m.turn) for m in messages] == [("student", 1), ("tutor", 1)]
