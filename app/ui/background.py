"""Long work in a thread of the app's process (the first build, the trainings), followed by every session.

A `Job` holds where the work is and how it ended; `Jobs` keeps one job per key (a warehouse
file) so that every session, opened before or after the start, follows the same work instead
of starting its own. Nothing here draws: the pages poll a job from an `st.fragment`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import UserError

Progress = Callable[[str, float], None]


@dataclass
class Job:
    """One run of a background work: its step, its fraction done, and how it ended."""

    key: str
    step: str = "Starting"
    fraction: float = 0.0
    error: str | None = None
    done: bool = False

    def progress(self, step: str, fraction: float) -> None:
        """The work's progress callback (`core` calls it with a step name and a fraction)."""
        self.step, self.fraction = step, min(max(float(fraction), 0.0), 1.0)


class Jobs:
    """The jobs of one kind of work, one per key, shared by every session of the process.

    Args:
        name: the threads' name (seen in a profile or a stack dump).
        stopped: the start of the message a failure other than a `UserError` is reported with,
            e.g. "The build stopped".
        retry_hint: said after that message (how the user tries again), or "".
    """

    def __init__(self, name: str, stopped: str, retry_hint: str = "") -> None:
        self.name, self.stopped, self.retry_hint = name, stopped, retry_hint
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def current(self, key: str) -> Job | None:
        """The last job started for `key` in this process, if any."""
        with self._lock:
            return self._jobs.get(key)

    def forget(self, key: str) -> None:
        """Drop the job of `key`, so that the next start is a new one (after a failure, "Try again")."""
        with self._lock:
            self._jobs.pop(key, None)

    def start(self, key: str, work: Callable[[Progress], object], keep_failed: bool = False) -> Job:
        """Run `work(progress)` in a thread, unless a job for `key` is under way (or failed, with `keep_failed`).

        Returns:
            The job every session follows: the one under way (or kept failed), else a new one.
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and (not job.done or (keep_failed and job.error)):
                return job
            job = self._jobs[key] = Job(key)
        threading.Thread(target=self._run, args=(job, work), name=self.name, daemon=True).start()
        return job

    def _run(self, job: Job, work: Callable[[Progress], object]) -> None:
        try:
            work(job.progress)
        except UserError as err:
            job.error = str(err)
        except Exception as err:  # noqa: BLE001 — a thread's failure must reach the page, not vanish
            hint = f" {self.retry_hint}" if self.retry_hint else ""
            job.error = f"{self.stopped} ({type(err).__name__}: {str(err)[:200]}).{hint}"
        finally:
            job.done = True
