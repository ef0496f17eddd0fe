"""Anthropic Messages API with the official SDK; structured output through a forced tool call."""

from __future__ import annotations

import json
from typing import Any

import anthropic

from shared.llm.providers.sdk_errors import translated_errors
from shared.llm.types import (
    ProviderRequest,
    ProviderResponse,
)

# Extended-thinking budgets (tokens) per reasoning level.
THINKING_BUDGETS = {"low": 2048, "medium": 8192, "high": 16384}
# Models that think adaptively: the SDK (2.14) deprecates `thinking.type=enabled` for exactly
# these and asks for `adaptive`, with the depth given as `output_config.effort`. The budget
# still adds headroom to `max_tokens`, since thinking tokens count toward it.
ADAPTIVE_THINKING_MODELS = frozenset({"claude-opus-4-6", "claude-mythos-preview"})


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, *, api_key: str, base_url: str | None):
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0)

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        with translated_errors(anthropic, timeout=request.timeout):
            message = self._client.messages.create(**self._kwargs(request))
        return ProviderResponse(
            text=self._text(message, request),
            input_tokens=getattr(message.usage, "input_tokens", None),
            output_tokens=getattr(message.usage, "output_tokens", None),
        )

    def _kwargs(self, request: ProviderRequest) -> dict[str, Any]:
        budget = THINKING_BUDGETS.get(request.reasoning or "none")
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_output_tokens + (budget or 0),
            "messages": self._messages(request),
            "timeout": request.timeout,
        }
        if request.system_text:
            kwargs["system"] = request.system_text
        if budget and request.model in ADAPTIVE_THINKING_MODELS:
            kwargs["thinking"] = {"type": "adaptive"}
            kwargs["output_config"] = {"effort": request.reasoning}
        elif budget:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": budget}
        # No temperature: current Claude models fix sampling and the SDK no longer takes it.
        if request.schema is not None:
            kwargs["tools"] = [
                {
                    "name": request.schema_name,
                    "description": "Return the answer as this tool's input.",
                    "input_schema": request.schema,
                }
            ]
            # With thinking on, the API accepts only "auto"; the system prompt then asks for
            # the tool, and an answer without the call fails validation and is retried.
            if budget:
                kwargs["tool_choice"] = {"type": "auto"}
                kwargs["system"] = (
                    f"{request.system_text}\n\nAnswer only by calling the "
                    f"`{request.schema_name}` tool."
                ).strip()
            else:
                kwargs["tool_choice"] = {"type": "tool", "name": request.schema_name}
        return kwargs

    @staticmethod
    def _messages(request: ProviderRequest) -> list[dict[str, Any]]:
        conversation = request.conversation
        last_user = max((i for i, m in enumerate(conversation) if m.role == "user"), default=-1)
        messages = []
        for i, message in enumerate(conversation):
            if i == last_user and request.images:
                content: list[dict[str, Any]] = [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": img.media_type,
                            "data": img.base64,
                        },
                    }
                    for img in request.images
                ]
                content.append({"type": "text", "text": message.content})
                messages.append({"role": "user", "content": content})
            else:
                messages.append({"role": message.role, "content": message.content})
        return messages

    @staticmethod
    def _text(message: Any, request: ProviderRequest) -> str:
        if request.schema is not None:
            for block in message.content:
                if block.type == "tool_use":
                    return json.dumps(block.input)
            return ""  # no tool call: fails validation and is retried like bad JSON
        return "".join(block.text for block in message.content if block.type == "text")
