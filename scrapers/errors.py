"""Errors raised while getting raw documents; each names the input and says whether a retry can help."""

from __future__ import annotations

from typing import Any


class ScrapeError(Exception):
    retryable = False

    def __init__(self, input: str, reason: str, context: dict[str, Any] | None = None) -> None:
        super().__init__(f"{input}: {reason}")
        self.input = input
        self.reason = reason
        self.context = dict(context or {})  # what was asked (endpoint, parameters without secrets, attempts)


class TransientError(ScrapeError):
    """A failure a later attempt may not meet: HTTP 429/5xx, a timeout, a dropped or garbled answer."""

    retryable = True


class FatalError(ScrapeError):
    """A failure that repeating the same request will not fix: a refused request, an impossible query."""

    retryable = False


class RetryBudgetExhausted(FatalError):
    """The run spent its retry budget; stop here rather than retry again in another layer."""
