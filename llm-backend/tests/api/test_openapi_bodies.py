"""Every JSON success answer in the OpenAPI document has a described body: a model or a typed
list or map. An untyped `dict` route would show as `{}` or a free-form object, which a contract
checker cannot hold the route to. (Files and audio are other media types; 204 has no body.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from main import create_app


def _untyped(schema: dict) -> bool:
    free_object = schema.get("type") == "object" and schema.get("additionalProperties") is True
    return schema == {} or (free_object and "properties" not in schema)


def test_every_success_answer_declares_its_body():
    with TestClient(create_app()) as client:
        document = client.get("/openapi.json").json()
    untyped = [
        f"{method.upper()} {path} {status} {media}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
        for media, content in answer.get("content", {}).items()
        if media == "application/json" and _untyped(content.get("schema", {}))
    ]
    assert untyped == []
