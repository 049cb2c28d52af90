"""Background jobs (app.ui.background): one job per key, shared; how a failure is reported."""

from __future__ import annotations

import threading
import time

from app.ui.background import Job, Jobs
from core.errors import UserError


def _wait(job: Job, limit_s: float = 10.0) -> None:
    # a bound on waiting, not a speed target
    deadline = time.monotonic() + limit_s
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.done


def test_a_job_under_way_is_the_one_every_caller_follows() -> None:
    jobs = Jobs("test", "The work stopped")
    release = threading.Event()
    calls: list[int] = []

    def work(progress):
        calls.append(1)
        progress("Reading", 1.7)  # a fraction past 1 is shown as 1
        release.wait()

    job = jobs.start("a", work)
    assert jobs.start("a", work) is job and jobs.current("a") is job
    other = jobs.start("b", work)
    assert other is not job
    release.set()
    _wait(job)
    _wait(other)
    assert calls == [1, 1] and job.step == "Reading" and job.fraction == 1.0 and job.error is None
    # once done, a start is a new job
    assert jobs.start("a", lambda progress: None) is not job


def test_a_failure_is_said_and_kept_only_when_asked() -> None:
    jobs = Jobs("test", "The build stopped", "Retrain to try again.")

    def broken(progress):
        raise KeyError("deal_id")

    job = jobs.start("a", broken)
    _wait(job)
    assert job.error == "The build stopped (KeyError: 'deal_id'). Retrain to try again."
    # without keep_failed, a start after a failure is a new job; with it, the failed one stays
    assert jobs.start("a", broken) is not job
    _wait(jobs.current("a"))
    kept = jobs.current("a")
    assert jobs.start("a", broken, keep_failed=True) is kept
    jobs.forget("a")
    assert jobs.current("a") is None

    def refused(progress):
        raise UserError("The CRM file has no amount column.")

    said = jobs.start("b", refused)
    _wait(said)
    assert said.error == "The CRM file has no amount column."
