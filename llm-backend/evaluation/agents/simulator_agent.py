"""The simulated student (`eval_simulator`): the persona's next message to the tutor.

Whether an answer is right is decided here in code, not by the model: each turn draws from the
persona's probability with the run's seeded generator, and the reply is told which way to go
(and which of the persona's mistakes to make). So a run is reproducible given the same model
answers, and a persona's accuracy is what its file says rather than what a model feels like."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from evaluation.models.persona import Persona
from evaluation.models.transcript import Message
from shared.llm import complete
from shared.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
COMPONENT = "eval_simulator"
TEMPERATURE = 0.8  # varied wording from run to run; correctness is not left to sampling
MAX_OUTPUT_TOKENS = 300


@dataclass(frozen=True)
class TurnDecision:
    correct: bool
    mistake: str | None  # one of the persona's common_mistakes when not correct


def decide(persona: Persona, rng: random.Random) -> TurnDecision:
    if rng.random() < persona.correct_answer_probability:
        return TurnDecision(correct=True, mistake=None)
    return TurnDecision(correct=False, mistake=rng.choice(persona.common_mistakes))


def asked_question(text: str) -> bool:
    """Whether a tutor message asks the student something (a directive only makes sense then)."""
    return "?" in text


def directive(decision: TurnDecision) -> str:
    if decision.correct:
        return (
            "[Instruction for this reply only: if the tutor asked you a question, answer it "
            "correctly, in character.]"
        )
    return (
        "[Instruction for this reply only: if the tutor asked you a question, answer it "
        f"incorrectly by making this mistake: {decision.mistake}. Commit to the wrong answer "
        "as the student would; do not correct yourself or hint that it might be wrong.]"
    )


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) or "- (none)"


def system_prompt(persona: Persona) -> str:
    style = persona.response_style
    tendencies = [
        f"{name.replace('_', ' ')}: about {round(p * 100)}% of the time"
        for name, p in persona.persona_specific_behaviors.items()
    ]
    return load_prompt(
        PROMPTS,
        "simulator",
        student_name=persona.name,
        age=persona.age,
        grade=persona.grade,
        description=persona.description,
        traits=_bullets(persona.personality_traits),
        mistakes=_bullets(persona.common_mistakes),
        max_words=style.max_words,
        language=style.language,
        examples=_bullets([f'"{e}"' for e in style.examples]),
        notes=_bullets(persona.behavioral_notes),
        tendencies=_bullets(tendencies),
    )


def conversation(transcript: list[Message], decision: TurnDecision | None) -> list[dict]:
    """The transcript from the student's side: the tutor speaks as "user", the student (the
    model) as "assistant"; the directive rides on the last tutor message, which every provider
    keeps in place (a trailing system message would be folded into the system prompt)."""
    turns = [
        {"role": "user" if m.role == "tutor" else "assistant", "content": m.content}
        for m in transcript
    ]
    if not turns or turns[-1]["role"] != "user":
        raise ValueError("the student answers a tutor message: the transcript must end with one")
    if decision is not None:
        turns[-1] = {**turns[-1], "content": f"{turns[-1]['content']}\n\n{directive(decision)}"}
    return turns


def student_reply(
    *,
    persona: Persona,
    transcript: list[Message],
    decision: TurnDecision | None,
    job_id: str | None = None,
    session_id: str | None = None,
) -> str:
    """The persona's next message; `decision` None leaves correctness to the persona (the
    tutor asked nothing). The word limit is asked for, not enforced by cutting."""
    text = complete(
        component=COMPONENT,
        messages=[
            {"role": "system", "content": system_prompt(persona)},
            *conversation(transcript, decision),
        ],
        temperature=TEMPERATURE,
        max_output_tokens=MAX_OUTPUT_TOKENS,
        job_id=job_id,
        session_id=session_id,
    )
    return text.strip()
