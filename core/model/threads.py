"""One compute thread for model fitting and prediction.

The gradient-boosting models parallelise with OpenMP, whose threads spin while they wait: on a
machine shared with other work (the app's users, other processes) two threads on two busy cores
ran ten times slower than one. The data sets here are small enough for one thread to be fast.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def single_thread() -> threadpool_limits:
    """Context manager limiting OpenMP and BLAS pools to one thread."""
    return threadpool_limits(limits=1)
