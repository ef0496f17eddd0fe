"""The eight persona files load and carry upstream's numbers; a broken file is refused with
its name and the field."""

from __future__ import annotations

import json
import shutil

import pytest

from evaluation.models.persona import (
    PERSONA_IDS,
    PERSONAS_DIR,
    get_persona,
    load_personas,
    read_personas,
)
from shared.errors import BadRequestError, ConfigurationError

# id -> (grade, age, P(correct), max_words, behaviours with their probabilities)
EXPECTED = {
    "ace": (5, 10, 0.9, 25, [0.3, 0.2, 0.5, 0.25, 0.15]),
    "average_student": (5, 10, 0.6, 30, []),
    "confused_confident": (5, 10, 0.45, 35, [0.4, 0.3, 0.35, 0.6, 0.25]),
    "distractor": (5, 10, 0.65, 45, [0.2, 0.25, 0.15, 0.3, 0.4]),
    "quiet_one": (5, 10, 0.6, 8, [0.8, 0.2, 0.4, 0.7, 0.1]),
    "repetition_detector": (3, 8, 0.7, 30, [0.6, 0.4, 0.5, 0.8, 0.3]),
    "simplicity_seeker": (3, 8, 0.5, 25, [0.5, 0.4, 0.4, 0.6, 0.3]),
    "struggler": (5, 10, 0.3, 35, [0.4, 0.5, 0.6, 0.8, 0.3]),
}


def test_the_eight_personas_load_with_their_numbers():
    personas = load_personas()
    assert tuple(personas) == PERSONA_IDS == tuple(sorted(EXPECTED))
    for pid, (grade, age, p, words, behaviours) in EXPECTED.items():
        persona = personas[pid]
        got = (persona.grade, persona.age, persona.correct_answer_probability)
        assert got == (grade, age, p)
        assert persona.response_style.max_words == words
        assert list(persona.persona_specific_behaviors.values()) == behaviours
        assert len(persona.common_mistakes) >= 3
    assert get_persona("quiet_one").name == "Meera"


def test_an_unknown_persona_names_the_known_ones():
    with pytest.raises(BadRequestError) as err:
        get_persona("genius")
    assert err.value.message.startswith("Unknown persona 'genius'. Known personas: ace, ")
    assert err.value.status_code == 400


def _copy(tmp_path, pid: str, **changes) -> None:
    data = json.loads((PERSONAS_DIR / f"{pid}.json").read_text())
    data.update(changes)
    (tmp_path / f"{pid}.json").write_text(json.dumps(data))


def test_a_schema_error_names_the_file_and_the_field(tmp_path):
    shutil.copy(PERSONAS_DIR / "ace.json", tmp_path / "ace.json")
    _copy(tmp_path, "struggler", correct_answer_probability=1.3)
    with pytest.raises(ConfigurationError) as err:
        read_personas(tmp_path)
    assert err.value.message.startswith(
        "Persona file struggler.json: field 'correct_answer_probability': "
    )


def test_nested_unknown_and_missing_fields_are_named(tmp_path):
    data = json.loads((PERSONAS_DIR / "ace.json").read_text())
    data["response_style"]["max_words"] = 0
    data["favourite_colour"] = "blue"
    del data["common_mistakes"]
    data["persona_specific_behaviors"]["shows_boredom"] = 2
    (tmp_path / "ace.json").write_text(json.dumps(data))
    with pytest.raises(ConfigurationError) as err:
        read_personas(tmp_path)
    message = err.value.message
    assert message.startswith("Persona file ace.json: ")
    for part in (
        "field 'common_mistakes': Field required",
        "field 'response_style.max_words': Input should be greater than 0",
        "field 'persona_specific_behaviors': Value error, probabilities must be between 0 "
        "and 1: shows_boredom",
        "field 'favourite_colour': Extra inputs are not permitted",
    ):
        assert part in message


def test_file_name_must_match_the_id_and_json_must_parse(tmp_path):
    data = json.loads((PERSONAS_DIR / "ace.json").read_text())
    (tmp_path / "arjun.json").write_text(json.dumps(data))
    with pytest.raises(ConfigurationError) as err:
        read_personas(tmp_path)
    assert err.value.message == (
        "Persona file arjun.json: field 'persona_id' is 'ace', but the file must be named ace.json"
    )
    (tmp_path / "arjun.json").write_text("{oops")
    with pytest.raises(ConfigurationError) as err:
        read_personas(tmp_path)
    assert err.value.message.startswith("Persona file arjun.json: not valid JSON")


def test_the_cached_personas_cannot_be_changed_by_a_caller():
    personas = load_personas()
    personas.pop("ace")
    with pytest.raises(ValueError):
        personas["struggler"].correct_answer_probability = 1.0  # type: ignore[misc]
    assert "ace" in load_personas()
    assert load_personas()["struggler"].correct_answer_probability == 0.3
