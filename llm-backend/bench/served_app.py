"""The production app plus one benchmark-only route, for `bench.served`'s uvicorn processes.

Loaded by module name from the bench directory (never imported by the app, never packaged):
`GET /_bench/stats` answers this process's id and the SQL statements it has sent, counted by
a SQLAlchemy event on the engine. It exists only in processes started from here.

With BENCH_PROFILE=cpu (or wall) every thread of the process is profiled (bench.thread_profile)
and `POST /_bench/profile/reset` and `POST /_bench/profile/dump?path=` forget or save what was
profiled (`bench.profile_turn --served`).
"""

from __future__ import annotations

import os
import threading

from sqlalchemy import event

from database import get_db_manager
from main import create_app

_lock = threading.Lock()
_statements = 0


def _count(*_args: object, **_kw: object) -> None:
    global _statements
    with _lock:
        _statements += 1


event.listen(get_db_manager().engine, "before_cursor_execute", _count)
app = create_app()


@app.get("/_bench/stats", include_in_schema=False)
def stats() -> dict:
    return {"pid": os.getpid(), "statements": _statements}


if os.environ.get("BENCH_PROFILE"):
    from bench import thread_profile  # only this tree's processes are profiled

    thread_profile.install(os.environ["BENCH_PROFILE"])

    @app.post("/_bench/profile/reset", include_in_schema=False)
    def profile_reset() -> None:
        thread_profile.reset()

    @app.post("/_bench/profile/dump", include_in_schema=False)
    def profile_dump(path: str) -> None:
        thread_profile.dump(path)
