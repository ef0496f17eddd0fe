"""The tutor uses the profile: it addresses the student by their preferred name (their name
when they chose none) and writes in their text language, in every prompt it sends and in the
messages it writes itself."""

from __future__ import annotations

import pytest

from tests.support.tutor import (
    STUDENT_A,
    add_guideline,
    clarify,
    reply,
    say,
    session_body,
    teach,
    unsafe,
)
from tutor.agents import student_texts
from tutor.agents.context import LANGUAGE_INSTRUCTIONS


def _profile(client, **fields) -> None:
    response = client.put("/profile", headers=STUDENT_A, json=fields)
    assert response.status_code == 200, response.json()


def _start(client, mode: str) -> str:
    gid = add_guideline()
    response = client.post("/sessions", json=session_body(gid, mode), headers=STUDENT_A)
    assert response.status_code == 200, response.json()
    return response.json()["session_id"]


def _last_message(client, sid: str) -> str:
    log = client.get(f"/sessions/{sid}", headers=STUDENT_A).json()["full_conversation_log"]
    return log[-1]["content"]


def _system_text(request) -> str:
    """Every string of the request body (instructions, messages), joined."""

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return "\n".join(strings(request.body))


def _tutor_requests(fake_llm) -> list:
    # The safety check runs beside each turn's tutor call; it is not the tutor speaking.
    return [r for r in fake_llm.requests if r.body["text"]["format"]["name"] != "SafetyCheck"]


@pytest.mark.parametrize("language", ["hi", "hinglish", "en"])
def test_prompts_carry_the_preferred_name_and_the_language(auth_client, fake_llm, language):
    _profile(
        auth_client,
        name="Asha Verma",
        preferred_name="Ashu",
        text_language_preference=language,
        audio_language_preference="en",
    )
    fake_llm.push(say("Namaste Ashu!"))
    sid = _start(auth_client, "teach_me")
    fake_llm.push(teach("right", "Bahut badhiya!"))
    step = auth_client.post(f"/sessions/{sid}/step", json=reply("one half"), headers=STUDENT_A)
    assert step.status_code == 200, step.json()

    tutor_requests = _tutor_requests(fake_llm)
    assert [r.body["text"]["format"]["name"] for r in tutor_requests] == [
        "TutorMessage",
        "TeachTurn",
    ]
    for request in tutor_requests:
        text = _system_text(request)
        assert "call them Ashu (full name Asha Verma)" in text
        assert LANGUAGE_INSTRUCTIONS[language] in text
        others = [v for k, v in LANGUAGE_INSTRUCTIONS.items() if k != language]
        assert not any(other in text for other in others)


def test_without_a_preferred_name_the_name_is_used(auth_client, fake_llm):
    _profile(auth_client, name="Ravi")
    fake_llm.push(say("Hi Ravi!"))
    _start(auth_client, "teach_me")

    text = _system_text(_tutor_requests(fake_llm)[-1])
    assert "call them Ravi" in text and "full name" not in text
    assert LANGUAGE_INSTRUCTIONS["en"] in text  # nothing chosen: English


def test_the_tutors_own_messages_use_the_preferred_name(auth_client, fake_llm):
    _profile(auth_client, name="Asha Verma", preferred_name="Ashu")
    fake_llm.push(say("Hi Ashu, what's your question?"))
    sid = _start(auth_client, "clarify_doubts")
    fake_llm.push(clarify("Multiply top and bottom.", ["equivalent fractions"]))
    auth_client.post(f"/sessions/{sid}/step", json=reply("how?"), headers=STUDENT_A)

    closed = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)

    assert closed.status_code == 200
    assert _last_message(auth_client, sid).startswith("Thanks for your questions, Ashu!")


def test_a_session_keeps_the_profile_it_started_with(auth_client, fake_llm):
    _profile(auth_client, name="Asha", text_language_preference="hi")
    fake_llm.push(say("Namaste!"))
    sid = _start(auth_client, "teach_me")
    _profile(auth_client, preferred_name="Ashu", text_language_preference="en")
    fake_llm.push(teach("right", "Shabash!"))

    auth_client.post(f"/sessions/{sid}/step", json=reply("one half"), headers=STUDENT_A)

    text = _system_text(_tutor_requests(fake_llm)[-1])
    assert LANGUAGE_INSTRUCTIONS["hi"] in text and "call them Asha" in text


@pytest.mark.parametrize(
    ("language", "closing"),
    [
        ("hi", "सवाल पूछने के लिए धन्यवाद, Ashu! हमने equivalent fractions के बारे में बात की।"),
        ("hinglish", "Questions poochhne ke liye thanks, Ashu! Humne equivalent fractions ke"),
    ],
)
def test_the_tutors_own_messages_are_in_the_chosen_language(
    auth_client, fake_llm, language, closing
):
    _profile(auth_client, name="Asha", preferred_name="Ashu", text_language_preference=language)
    fake_llm.push(say("..."))
    sid = _start(auth_client, "clarify_doubts")
    fake_llm.push(unsafe())
    redirect = auth_client.post(
        f"/sessions/{sid}/step", json=reply("something unsafe"), headers=STUDENT_A
    )
    fake_llm.push(clarify("...", ["equivalent fractions"]))
    auth_client.post(f"/sessions/{sid}/step", json=reply("how?"), headers=STUDENT_A)

    closed = auth_client.post(f"/sessions/{sid}/end-clarify", headers=STUDENT_A)

    assert redirect.json()["next_turn"]["message"] == student_texts.SAFETY_REDIRECT[
        language
    ].format(who=", Ashu")
    assert closed.status_code == 200
    assert _last_message(auth_client, sid).startswith(closing)
