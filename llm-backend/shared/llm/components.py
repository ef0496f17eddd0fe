"""`llm_config` component keys the shared layer itself knows about: the audio ones, which only
providers in AUDIO_PROVIDERS can serve."""

from __future__ import annotations

SPEECH_TO_TEXT = "speech_to_text"
TEXT_TO_SPEECH = "text_to_speech"
AUDIO_COMPONENTS = (SPEECH_TO_TEXT, TEXT_TO_SPEECH)
