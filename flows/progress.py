"""Steps of a long run, for a progress bar in the CLI: flows say when a step is done, the CLI listens.

A flow's parameters must be JSON (Prefect records them), so the bar cannot be passed in; and a flow served
by `litingest serve` has no terminal, so nobody listens and a step costs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

_listener: Callable[[str], None] | None = None


def step_done(label: str) -> None:
    """One step (a file, a date chunk, a saved search) finished."""
    if _listener is not None:
        _listener(label)


@contextmanager
def bar(length: int, label: str) -> Iterator[None]:
    """A progress bar on stderr over `length` steps, advanced by `step_done`, showing the last step's label."""
    global _listener
    with click.progressbar(length=length, label=label, file=sys.stderr,
                           item_show_func=lambda step: step) as shown:
        def advance(step: str) -> None:
            shown.update(1, step)

        _listener = advance
        try:
            yield
        finally:
            _listener = None
