"""Work spread over threads that Ctrl-C stops at once.

``concurrent.futures`` runs every queued item before a program can exit, even after Ctrl-C
(its worker threads are joined at exit). Here the workers are daemon threads: on Ctrl-C, or
when the caller stops reading, no further item starts, and an item in flight is abandoned
instead of waited for.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_POLL_S = 0.2  # how often the waiting thread looks up, so Ctrl-C is felt at once


def completed(work: Callable[[T], R], items: Sequence[T], concurrency: int
              ) -> Iterator[tuple[int, R]]:
    """Yield ``(index, work(items[index]))`` as each finishes, ``concurrency`` at a time.

    Closing the iterator (``break``) or a ``KeyboardInterrupt`` while waiting cancels every
    item not yet started. An exception from ``work`` is raised here.

    >>> sorted(completed(lambda n: n * n, [1, 2, 3], concurrency=2))
    [(0, 1), (1, 4), (2, 9)]
    """
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for index, item in enumerate(items):
        todo.put((index, item))
    finished: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                index, item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                finished.put((index, work(item), None))
            except Exception as exc:  # handed to the waiting thread, which raises it
                finished.put((index, None, exc))

    for number in range(min(concurrency, len(items))):
        threading.Thread(target=worker, name=f"support-kit-worker-{number}",
                         daemon=True).start()
    try:
        for _ in range(len(items)):
            while True:
                try:
                    index, result, error = finished.get(timeout=_POLL_S)
                    break
                except queue.Empty:
                    continue
            if error is not None:
                raise error
            yield index, result
    finally:
        stop.set()  # nothing new starts; what runs is left to finish on its own
