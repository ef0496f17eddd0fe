"""Prompt templates: `load_prompt(prompts_dir, name, **vars)` reads `{prompts_dir}/{name}.txt`
(cached per process) and fills `{placeholders}` with `str.format`; a missing variable raises
KeyError. Write literal braces as `{{` and `}}`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=128)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_prompt(domain_dir: Path, name: str, **variables: object) -> str:
    template = _read(Path(domain_dir) / f"{name}.txt")
    return template.format(**variables) if variables else template
