"""A Lambda context object with the attributes Powertools reads."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"


@dataclass
class FakeLambdaContext:
    function_name: str = "tutor-api"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:tutor-api"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_event(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())
