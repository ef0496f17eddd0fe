"""A real HTTP server on 127.0.0.1 that speaks the OpenAI and Anthropic wire formats.

Tests script replies (`push`), or let it answer with a minimal valid instance of the JSON schema
the request carries (plain text otherwise). It can be slow, fail with a status, or send output
that does not match the schema. Every request is kept for assertions.

OpenAI's audio endpoints too: `/audio/speech` answers a small valid MP3 that carries the text
(tests/fakes/mp3.py), `/audio/transcriptions` (multipart) the text such an MP3 carries, else a
scripted or default transcript.

It speaks HTTP/1.1 with keep-alive, as the providers do: the SDKs' connection pools reuse a
connection for the next call, so a benchmark measures the app's calls, not a TCP connect per
call. `stop()` ends the connections still open, so no pooled connection outlives the server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.mp3 import duration_seconds, silent_mp3, title_of

DEFAULT_TEXT = "This is a reply from the fake model."
DEFAULT_TRANSCRIPT = "This is what the fake model heard."


@dataclass
class Reply:
    """A successful answer: `content` is text, or a dict for structured output (a transcript,
    or the bytes of the audio, on the audio endpoints)."""

    content: str | dict | bytes | None = None
    delay: float = 0.0
    input_tokens: int = 12
    output_tokens: int = 7
    # Only a request whose output schema has this name takes it (calls made concurrently).
    for_schema: str | None = None
    # A slow provider without sleeping: the answer waits until the test sets `gate`
    # (`arrived` is set when the request is in).
    gate: threading.Event | None = None
    arrived: threading.Event | None = None


@dataclass
class Fail:
    status: int = 500
    delay: float = 0.0
    message: str = "injected failure"
    for_schema: str | None = None


@dataclass
class RawBody:
    """A 200 whose body is not valid JSON at all (a broken proxy, a truncated stream)."""

    body: str = "{not json"


@dataclass
class Recorded:
    path: str
    body: dict  # the JSON body, or a multipart form's plain fields
    headers: dict = field(default_factory=dict)
    # A multipart form's files: field name -> (file name, content type, bytes).
    files: dict = field(default_factory=dict)
    # The client's end of the connection: requests on one kept-alive connection share it.
    client_port: int = 0

    @property
    def schema(self) -> dict | None:
        return request_schema(self.path, self.body)[0]


def request_schema(path: str, body: dict) -> tuple[dict | None, str | None]:
    """The JSON schema a request asks its answer to follow, and the tool name (Anthropic)."""
    if path.endswith("/responses"):
        fmt = (body.get("text") or {}).get("format") or {}
        return (fmt.get("schema") if fmt.get("type") == "json_schema" else None), None
    if path.endswith("/chat/completions"):
        fmt = body.get("response_format") or {}
        return ((fmt.get("json_schema") or {}).get("schema")), None
    tools = body.get("tools") or []
    if tools:
        return tools[0].get("input_schema"), tools[0].get("name")
    return None, None


def request_schema_name(path: str, body: dict) -> str | None:
    """The name the request gives its output schema (the Pydantic model's class name)."""
    if path.endswith("/responses"):
        return ((body.get("text") or {}).get("format") or {}).get("name")
    if path.endswith("/chat/completions"):
        return ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
    tools = body.get("tools") or []
    return tools[0].get("name") if tools else None


def minimal_instance(schema: dict, root: dict | None = None) -> Any:
    """The smallest value that satisfies a (Pydantic-generated) JSON schema."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return minimal_instance(root.get("$defs", {})[name], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props[k], root) for k in schema.get("required", props.keys())}
    if kind == "array":
        item = minimal_instance(schema.get("items", {"type": "string"}), root)
        return [item] * schema.get("minItems", 0)
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        value = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if "exclusiveMinimum" in schema:
            value += 1
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    return None


class FakeLLMServer:
    def __init__(self) -> None:
        self._script: deque = deque()
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        # Optional `responder(path, body) -> Reply | Fail | None`, asked before the script: a
        # test whose replies depend on the request (not on call order) sets it; None = script.
        self.responder = None
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()

    def push(self, *items: Reply | Fail | RawBody) -> None:
        with self._lock:
            self._script.extend(items)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.responder = None

    def _next(self, schema_name: str | None = None) -> Reply | Fail | RawBody:
        """The first scripted item this request may take: one without `for_schema`, or one
        naming the request's schema; a default Reply when none fits."""
        with self._lock:
            for item in self._script:
                wanted = getattr(item, "for_schema", None)
                if wanted is None or wanted == schema_name:
                    self._script.remove(item)
                    return item
            return Reply()

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The answer leaves in one write (buffered, flushed in _send_raw) on a socket
            # without Nagle's delay, so a kept-alive connection waits on no delayed ACK.
            wbufsize = -1
            disable_nagle_algorithm = True

            def log_message(self, *_args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                files: dict = {}
                if self.headers.get_content_type() == "multipart/form-data":
                    body, files = _form(self.headers.get("content-type", ""), raw)
                else:
                    body = json.loads(raw or b"{}")
                with fake._lock:
                    fake.requests.append(
                        Recorded(self.path, body, dict(self.headers), files, self.client_address[1])
                    )
                responder = fake.responder
                item = responder(self.path, body) if responder is not None else None
                if item is None:
                    item = fake._next(request_schema_name(self.path, body))
                if getattr(item, "arrived", None) is not None:
                    item.arrived.set()
                if getattr(item, "gate", None) is not None:
                    item.gate.wait(30)  # bounded, so a test that forgets to open it still ends
                time.sleep(getattr(item, "delay", 0.0))
                if isinstance(item, Fail):
                    self._send(item.status, _error_body(self.path, item))
                elif isinstance(item, RawBody):
                    self._send_raw(200, item.body)
                elif self.path.endswith("/audio/speech"):
                    self._send_raw(200, _speech(body, item), "audio/mpeg")
                elif self.path.endswith("/audio/transcriptions"):
                    self._send(200, _transcription(body, files, item))
                else:
                    self._send(200, _success_body(self.path, body, item))

            def _send(self, status: int, payload: dict) -> None:
                self._send_raw(status, json.dumps(payload))

            def _send_raw(self, status: int, text: str | bytes, kind="application/json") -> None:
                data = text.encode() if isinstance(text, str) else text
                try:
                    self.send_response(status)
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


class _Server(ThreadingHTTPServer):
    """One thread per connection (a kept-alive connection keeps its thread), none of which
    holds up stop(); it knows its open connections so stop() can end them."""

    daemon_threads = True
    block_on_close = False
    # socketserver listens with a backlog of 5: 32 sessions' 64 concurrent calls overflowed
    # it and the app saw refused connections (retries) that were the harness's, not its own.
    request_queue_size = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Ends every open connection: a thread waiting for a next request reads EOF and
        ends; the client's pool sees the connection closed."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timeout test, a closed pool) is not an error of the fake.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _form(content_type: str, raw: bytes) -> tuple[dict, dict]:
    """A multipart/form-data body: its plain fields, and its files by field name."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode()
        else:
            files[name] = (filename, part.get_content_type(), data)
    return fields, files


def _speech(body: dict, reply: Reply) -> bytes:
    if isinstance(reply.content, bytes):
        return reply.content
    return silent_mp3(reply.content if isinstance(reply.content, str) else body.get("input", ""))


def _transcription(fields: dict, files: dict, reply: Reply) -> dict:
    audio = files.get("file", ("", "", b""))[2]
    text = reply.content if isinstance(reply.content, str) else None
    text = text if text is not None else title_of(audio)
    text = text if text is not None else DEFAULT_TRANSCRIPT
    if fields.get("model") == "whisper-1":  # billed by duration, the others by tokens
        seconds = duration_seconds(audio) if title_of(audio) is not None else 1.0
        return {"text": text, "usage": {"type": "duration", "seconds": seconds}}
    usage = {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens}
    return {"text": text, "usage": {"type": "tokens", **usage, "total_tokens": sum(usage.values())}}


def _error_body(path: str, fail: Fail) -> dict:
    if path.endswith("/messages"):
        kind = "rate_limit_error" if fail.status == 429 else "api_error"
        return {"type": "error", "error": {"type": kind, "message": fail.message}}
    return {"error": {"message": fail.message, "type": "server_error", "code": str(fail.status)}}


def _success_body(path: str, body: dict, reply: Reply) -> dict:
    schema, tool_name = request_schema(path, body)
    content = reply.content
    if content is None:
        content = minimal_instance(schema) if schema is not None else DEFAULT_TEXT
    model = body.get("model", "fake-model")
    if path.endswith("/messages"):
        return _anthropic_body(model, content, tool_name, reply)
    text = content if isinstance(content, str) else json.dumps(content)
    usage = (reply.input_tokens, reply.output_tokens)
    if path.endswith("/responses"):
        return _responses_body(model, text, usage)
    return _chat_body(model, text, usage)


def _chat_body(model: str, text: str, usage: tuple[int, int]) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def _responses_body(model: str, text: str, usage: tuple[int, int]) -> dict:
    return {
        "id": f"resp_{uuid.uuid4().hex[:12]}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex[:12]}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": sum(usage),
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


def _anthropic_body(model: str, content: Any, tool_name: str | None, reply: Reply) -> dict:
    if tool_name is not None and isinstance(content, str):
        # Plain text where a tool call was required stays text: an invalid answer.
        with contextlib.suppress(ValueError):
            content = json.loads(content)
    if tool_name is not None and isinstance(content, dict):
        blocks = [
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:12]}",
                "name": tool_name,
                "input": content,
            }
        ]
        stop = "tool_use"
    else:
        text = content if isinstance(content, str) else json.dumps(content)
        blocks = [{"type": "text", "text": text}]
        stop = "end_turn"
    return {
        "id": f"msg_{uuid.uuid4().hex[:12]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }
