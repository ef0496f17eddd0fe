"""Simulated students: one JSON file per persona in `evaluation/personas/`, validated when
first loaded. A broken file stops loading with a message naming the file and the field, so a
typo in a persona never turns into a silently different student."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import BadRequestError, ConfigurationError

PERSONAS_DIR = Path(__file__).resolve().parent.parent / "personas"
DEFAULT_PERSONA_ID = "average_student"  # upstream's API default


class ResponseStyle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_words: int = Field(gt=0)
    language: str = Field(min_length=1)
    examples: list[str]


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    persona_id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    grade: int = Field(ge=1, le=12)
    age: int = Field(ge=4, le=19)
    description: str = Field(min_length=1)
    correct_answer_probability: float = Field(ge=0, le=1)
    personality_traits: list[str]
    common_mistakes: list[str] = Field(min_length=1)
    response_style: ResponseStyle
    behavioral_notes: list[str]
    # behaviour -> how often it shows (0..1); a tendency the simulator is told about.
    persona_specific_behaviors: dict[str, float] = Field(default_factory=dict)

    @field_validator("persona_specific_behaviors")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, p in value.items() if not 0 <= p <= 1)
        if bad:
            raise ValueError(f"probabilities must be between 0 and 1: {', '.join(bad)}")
        return value


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"field '{'.'.join(str(p) for p in e['loc']) or '(root)'}': {e['msg']}"
        for e in exc.errors()
    )


def read_persona(path: Path) -> Persona:
    """One persona file, validated; ConfigurationError names the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"Persona file {path.name}: not valid JSON ({exc})") from exc
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"Persona file {path.name}: {_field_errors(exc)}") from exc
    if path.stem != persona.persona_id:
        raise ConfigurationError(
            f"Persona file {path.name}: field 'persona_id' is '{persona.persona_id}', "
            f"but the file must be named {persona.persona_id}.json"
        )
    return persona


def read_personas(directory: Path) -> dict[str, Persona]:
    """Every `*.json` in `directory`, by id (sorted)."""
    personas = [read_persona(p) for p in sorted(directory.glob("*.json"))]
    return {p.persona_id: p for p in personas}


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Persona]:
    return read_personas(PERSONAS_DIR)


def load_personas() -> dict[str, Persona]:
    """The shipped personas by id, sorted; read and validated once per process. The personas
    are frozen and the dict is a copy, so no caller can change what the next one sees."""
    return dict(_shipped())


def get_persona(persona_id: str) -> Persona:
    personas = load_personas()
    if persona_id not in personas:
        raise BadRequestError(
            f"Unknown persona '{persona_id}'. Known personas: {', '.join(personas)}.",
            code="unknown_persona",
        )
    return personas[persona_id]


# The files shipped with the code; a test checks this list against the directory.
PERSONA_IDS: tuple[str, ...] = (
    "ace",
    "average_student",
    "confused_confident",
    "distractor",
    "quiet_one",
    "repetition_detector",
    "simplicity_seeker",
    "struggler",
)
