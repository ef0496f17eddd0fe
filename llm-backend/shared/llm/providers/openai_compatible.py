"""OpenAI (Responses API for gpt-5.x / o-series, Chat Completions otherwise) and Google Gemini
(through its OpenAI-compatible endpoint), both with the official openai SDK."""

from __future__ import annotations

from typing import Any

import openai
from openai._base_client import make_request_options

from shared.llm.audio import looks_like_mp3
from shared.llm.providers.sdk_errors import translated_errors
from shared.llm.types import (
    Message,
    ProviderRequest,
    ProviderResponse,
    SpeechRequest,
    SpeechResponse,
    TranscriptionRequest,
    TranscriptionResponse,
    TransientProviderError,
)


def uses_responses_api(model: str) -> bool:
    return model.startswith(("gpt-5", "o1", "o3", "o4"))


class OpenAICompatibleProvider:
    def __init__(self, *, name: str, api_key: str, base_url: str | None, responses_api: bool):
        self.name = name
        self._responses_api = responses_api
        # Retries are ours (bounded, with jitter, recorded), so the SDK's own are off.
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        with translated_errors(openai, timeout=request.timeout):
            if self._responses_api and uses_responses_api(request.model):
                return self._responses(request)
            return self._chat(request)

    def transcribe(self, request: TranscriptionRequest) -> TranscriptionResponse:
        audio = request.audio
        with translated_errors(openai, timeout=request.timeout):
            result = self._client.audio.transcriptions.create(
                model=request.model,
                file=(audio.filename, audio.data, audio.media_type),
                response_format="json",
                timeout=request.timeout,
            )
        usage = getattr(result, "usage", None)
        billed_by = getattr(usage, "type", None)
        return TranscriptionResponse(
            text=(result.text or "").strip(),
            audio_seconds=getattr(usage, "seconds", None) if billed_by == "duration" else None,
            input_tokens=getattr(usage, "input_tokens", None) if billed_by == "tokens" else None,
            output_tokens=getattr(usage, "output_tokens", None) if billed_by == "tokens" else None,
        )

    def speak(self, request: SpeechRequest) -> SpeechResponse:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "input": request.text,
            "voice": request.voice,
            "response_format": "mp3",
            "timeout": request.timeout,
        }
        # gpt-4o-*-tts models follow spoken instructions and ignore speed; tts-1 the reverse.
        if request.instructions and request.model.startswith("gpt-"):
            kwargs["instructions"] = request.instructions
        if request.speed is not None and request.model.startswith("tts-"):
            kwargs["speed"] = request.speed
        with translated_errors(openai, timeout=request.timeout):
            audio = self._client.audio.speech.create(**kwargs).content
        if not looks_like_mp3(audio):
            # A 200 that is not the audio asked for: a broken proxy or a cut-off body.
            raise TransientProviderError("the answer is not MP3 audio")
        return SpeechResponse(audio=audio)

    def _responses(self, request: ProviderRequest) -> ProviderResponse:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "input": [self._responses_item(m, request, last) for m, last in _numbered(request)],
            "max_output_tokens": request.max_output_tokens,
        }
        if request.system_text:
            kwargs["instructions"] = request.system_text
        if request.schema is not None:
            kwargs["text"] = {
                "format": {
                    "type": "json_schema",
                    "name": request.schema_name,
                    "schema": request.schema,
                    "strict": True,
                }
            }
        if request.reasoning:
            kwargs["reasoning"] = {"effort": request.reasoning}
        # Reasoning models accept a temperature only with reasoning switched off.
        if request.temperature is not None and request.reasoning in (None, "none"):
            kwargs["temperature"] = request.temperature
        response = self._post("/responses", kwargs, request.timeout)
        usage = response.get("usage") or {}
        # What the SDK's `Response.output_text` joins: the output_text parts of messages.
        text = "".join(
            part.get("text") or ""
            for item in response.get("output") or []
            if item.get("type") == "message"
            for part in item.get("content") or []
            if part.get("type") == "output_text"
        )
        return ProviderResponse(
            text=text,
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
        )

    @staticmethod
    def _responses_item(
        message: Message, request: ProviderRequest, is_last_user: bool
    ) -> dict[str, Any]:
        if message.role == "assistant":
            return {"role": "assistant", "content": message.content}
        content: list[dict[str, Any]] = [{"type": "input_text", "text": message.content}]
        if is_last_user:
            content += [
                {"type": "input_image", "image_url": img.data_url} for img in request.images
            ]
        return {"role": "user", "content": content}

    def _chat(self, request: ProviderRequest) -> ProviderResponse:
        messages: list[dict[str, Any]] = []
        if request.system_text:
            messages.append({"role": "system", "content": request.system_text})
        for message, is_last_user in _numbered(request):
            if is_last_user and request.images:
                parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
                parts += [
                    {"type": "image_url", "image_url": {"url": img.data_url}}
                    for img in request.images
                ]
                messages.append({"role": message.role, "content": parts})
            else:
                messages.append({"role": message.role, "content": message.content})
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_output_tokens,
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.reasoning and request.reasoning != "none":
            kwargs["reasoning_effort"] = request.reasoning
        if request.schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.schema,
                    "strict": True,
                },
            }
        response = self._post("/chat/completions", kwargs, request.timeout)
        usage = response.get("usage") or {}
        choices = response.get("choices") or []
        return ProviderResponse(
            text=((choices[0].get("message") or {}).get("content") or "") if choices else "",
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )

    def _post(self, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        # What `responses.create` / `chat.completions.create` send, minus their request
        # transform: it walks the body against the SDK's TypedDicts (the JSON schema and every
        # message part) to change nothing in bodies made of plain strings, numbers and dicts,
        # and was the largest CPU cost of a tutor turn. The wire body is the same. The answer
        # is read as plain JSON: building the SDK's response models cost more than the few
        # fields read from it, and their first use in a process builds Pydantic schemas on
        # every thread that calls at once (seconds at the start of a bulk OCR job).
        options = make_request_options(timeout=timeout, security={"bearer_auth": True})
        data = self._client.post(path, cast_to=object, body=body, options=options)
        if not isinstance(data, dict):
            raise TransientProviderError("the answer is not a JSON object")
        return data


def _numbered(request: ProviderRequest) -> list[tuple[Message, bool]]:
    """Conversation messages, each flagged if it is the last user message (images go there)."""
    conversation = request.conversation
    last_user = max((i for i, m in enumerate(conversation) if m.role == "user"), default=-1)
    return [(m, i == last_user) for i, m in enumerate(conversation)]
