"""cProfile of every thread of a process: each thread started after `install()` profiles itself
(threads are where the app's work runs: the route threadpool, the concurrent model calls), and
`dump()` sums them into one pstats file.

`clock="cpu"` measures each thread's own CPU time, so waits and other processes' load count
nothing; "wall" is cProfile's default clock.
"""

from __future__ import annotations

import cProfile
import marshal
import os
import pstats
import tempfile
import threading
import time

_profilers: list[cProfile.Profile] = []
_timer: list = []  # the clock every thread's profiler uses (empty: cProfile's wall clock)
_lock = threading.Lock()
_own = threading.local()  # the calling thread's profiler


def _profile_thread(*_args: object) -> None:
    # Runs once in each new thread, as its first profile event: swap in a real profiler.
    profiler = cProfile.Profile(*_timer)
    with _lock:
        _profilers.append(profiler)
    _own.profiler = profiler
    profiler.enable()


def install(clock: str = "cpu") -> None:
    """Profiles the calling thread and every thread started from now on."""
    if clock == "cpu":
        _timer.append(time.thread_time)
    threading.setprofile(_profile_thread)
    _profile_thread()


def reset() -> None:
    """Forgets what was profiled so far (warm-up), in every thread."""
    with _lock:
        for profiler in _profilers:
            profiler.clear()


def dump(path: str) -> None:
    """Every thread's figures summed into one pstats file, taken without `disable()`: that
    would act on the calling thread, not on the profiler's own. The calling thread's own
    profiler stops first, so the dump does not profile itself."""
    if getattr(_own, "profiler", None) is not None:
        _own.profiler.disable()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        paths = []
        with _lock:
            profilers = list(_profilers)
        for i, profiler in enumerate(profilers):
            profiler.snapshot_stats()
            if profiler.stats:
                paths.append(os.path.join(work, f"thread{i}.prof"))
                with open(paths[-1], "wb") as f:
                    marshal.dump(profiler.stats, f)
        pstats.Stats(*paths).dump_stats(path)
