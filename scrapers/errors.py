"""Errors raised while getting raw documents; each names the input and says whether a retry can help."""

from __future__ import annotations


class ScrapeError(Exception):
    retryable = False

    def __init__(self, input: str, reason: str) -> None:
        super().__init__(f"{input}: {reason}")
        self.input = input
        self.reason = reason
