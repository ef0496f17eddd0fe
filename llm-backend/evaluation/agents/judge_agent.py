"""The judge (`eval_evaluator`): scores one transcript on the five dimensions with band
anchors, lists the top problems with a root cause, and sums up. It knows the persona (when the
conversation was simulated) so that "good" means good for this student."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.models.judgment import Judgment
from evaluation.models.persona import Persona
from evaluation.models.transcript import Message
from shared.llm import complete
from shared.llm.types import Reasoning
from shared.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
COMPONENT = "eval_evaluator"
# A careful reading of the whole transcript is the point; its tokens are the judge's cost.
REASONING: Reasoning = "high"
MAX_OUTPUT_TOKENS = 6000
GUIDELINE_CHARS = 4000  # enough of the teaching guideline to know what should be taught


@dataclass(frozen=True)
class TopicContext:
    name: str
    grade: int | None
    guideline_text: str = ""


def format_transcript(transcript: list[Message]) -> str:
    return "\n\n".join(f"[Turn {m.turn}] {m.role.upper()}: {m.content}" for m in transcript)


def persona_block(persona: Persona | None) -> str:
    if persona is None:
        return "THE STUDENT: a real student; no profile is known.\n"
    tendencies = "; ".join(
        f"{name.replace('_', ' ')} about {round(p * 100)}% of the time"
        for name, p in persona.persona_specific_behaviors.items()
    )
    lines = [
        f"THE STUDENT (a simulated persona): {persona.name} ({persona.persona_id}), "
        f"{persona.age} years old, grade {persona.grade}.",
        persona.description,
        f"Traits: {'; '.join(persona.personality_traits)}.",
        f"Answers correctly about {round(persona.correct_answer_probability * 100)}% of the "
        "time (wrong answers are deliberate, drawn from the persona's typical mistakes).",
    ]
    if tendencies:
        lines.append(f"Tendencies: {tendencies}.")
    return "\n".join(lines) + "\n"


def topic_block(topic: TopicContext | None) -> str:
    if topic is None:
        return ""
    grade = f", grade {topic.grade}" if topic.grade is not None else ""
    block = f"\nTHE TOPIC: {topic.name}{grade}.\n"
    guideline = topic.guideline_text.strip()
    if guideline:
        excerpt = guideline[:GUIDELINE_CHARS]
        block += f"What the tutor was meant to teach (teaching guideline):\n{excerpt}\n"
    return block


def judge(
    *,
    transcript: list[Message],
    persona: Persona | None,
    topic: TopicContext | None,
    job_id: str | None = None,
) -> Judgment:
    """LLMOutputError (an answer that broke the schema twice) and LLMUnavailableError
    propagate: the caller records the conversation as failed."""
    instructions = load_prompt(
        PROMPTS, "judge", persona_block=persona_block(persona), topic_block=topic_block(topic)
    )
    return complete(
        component=COMPONENT,
        messages=[
            {"role": "system", "content": instructions},
            {"role": "user", "content": f"TRANSCRIPT\n\n{format_transcript(transcript)}"},
        ],
        output=Judgment,
        reasoning=REASONING,
        max_output_tokens=MAX_OUTPUT_TOKENS,
        job_id=job_id,
    )
