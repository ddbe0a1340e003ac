"""Errors raised while turning a document into an `Article`; each names the input, the stage and the reason."""

from __future__ import annotations


class ParseError(Exception):
    """A document that yields no article. `str()` is the one-line message users see."""

    retryable = False

    def __init__(self, name: str, reason: str, stage: str = "extract") -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.stage = stage


class NoArticleError(ParseError):
    """A page that carries no article (bot wall, captcha, stub without an abstract, unknown layout).

    `status` names the kind of page when its structure shows it (`transforms.pagestatus`: captcha, cookie_wall,
    paywall, error_page), so a fetch can record `no_article:captcha`; the message stays the same.
    """

    def __init__(self, name: str, reason: str, stage: str = "extract", status: str | None = None) -> None:
        super().__init__(name, reason, stage)
        self.status = status
