"""Why a web page carries no article: a captcha or bot wall, a cookie wall, a login or paywall stub, an error page.

Judged by page structure (the challenge platforms' scripts and widgets, consent containers, password forms,
schema.org access flags, error codes in the title), never by one site's wording. Nearly every real article page
has a cookie banner, a sign-in link, a buy box or a comment form's captcha too, so a page that shows a paragraph of
prose (an abstract) is no wall, and a cookie wall is one that shows next to nothing outside its consent box.
Meant for pages the extractor found no article on (`NoArticleError`).
"""

from __future__ import annotations

import re

from lxml import etree

from transforms.errors import ParseError
from transforms.page import Page

CAPTCHA = "captcha"
COOKIE_WALL = "cookie_wall"
PAYWALL = "paywall"  # a login or paywall stub
ERROR_PAGE = "error_page"
STATUSES = (CAPTCHA, COOKIE_WALL, PAYWALL, ERROR_PAGE)

# 1. How much a wall shows. Bot walls show a line or two (0-130 characters on the corpus' two); the thinnest
# article page of the corpus shows 2,400 characters of visible text, most 5,000 to 100,000.
THIN_PAGE_CHARS = 1500
# Outside its consent box, a cookie wall shows a heading and a link or two.
COOKIE_WALL_OUTSIDE_CHARS = 500
# A paragraph this long is prose (an abstract, a description): a paywall cue beside one is a buy box.
PROSE_BLOCK_CHARS = 400

# 2. Captchas and bot walls: the challenge platforms' own resources (src, href, action, base) and widgets (id,
# class, name), and the globals their inline scripts set.
CHALLENGE_URL_TOKENS = (
    "recaptcha", "hcaptcha.com", "challenges.cloudflare.com", "/cdn-cgi/challenge-platform",
    "/cdn-cgi/styles/challenges", "captcha-delivery.com", "_incapsula_resource", "px-captcha", "perimeterx",
    "arkoselabs.com", "funcaptcha", "geetest", "/captcha",
)
CHALLENGE_ATTR_TOKENS = (
    "captcha", "cf-turnstile", "cf-challenge", "challenge-form", "challenge-error", "challenge-running",
    "challenge-body", "cf-chl", "cf-browser-verification",
)
CHALLENGE_SCRIPT_RE = re.compile(r"_cf_chl_opt|__cf_chl_|grecaptcha\.|hcaptcha\.|captcha-delivery|_pxAppId")

# 3. Cookie walls: consent containers, by the consent managers' and sites' own names.
CONSENT_ATTR_RE = re.compile(
    r"cookie|consent|gdpr|\bcmp\b|cmp-|onetrust|didomi|usercentrics|cookiebot|quantcast|trustarc|truste|"
    r"sp_message|privacy-?manager", re.I)
CONSENT_URL_RE = re.compile(r"consent|cookie|gdpr|privacy-?manager", re.I)

# 4. Login and paywall stubs.
PAYWALL_ATTR_RE = re.compile(
    r"paywall|purchase|buy-?(?:box|article|now|access)|access-?(?:denied|options|widget)|subscribe|subscription|"
    r"login|log-in|signin|sign-in|institutional", re.I)
_NOT_FREE_RE = re.compile(r'"isAccessibleForFree"\s*:\s*"?(?:false|no)\b', re.I)

# 5. Error pages: an HTTP error code or an error phrase in the title, error-page names in the body's markup.
ERROR_TITLE_RE = re.compile(
    r"^\W*[45]\d\d\b|\b(?:error|http|status)\W{0,3}[45]\d\d\b|\bnot found\b|"
    r"\bpage (?:does not|doesn't) exist\b|\b(?:server|internal|application) error\b|\berror occurred\b|"
    r"\baccess denied\b|\bforbidden\b|\bservice unavailable\b|\bbad gateway\b|\bno longer available\b|"
    r"^\s*error\b", re.I)
ERROR_ATTR_RE = re.compile(r"error-?page|error-?[45]\d\d|(?:page-?)?not-?found|http-?error|errorpage", re.I)

INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "head")
_SPACE_RE = re.compile(r"\s+")


def classify(page: Page) -> str | None:
    """The kind of non-article page `page` is (one of STATUSES), or None when nothing marks it."""
    if page.kind != "html":
        return None
    try:
        tree = page.tree
    except (ParseError, ValueError):  # nothing lxml can read as HTML: no structure to judge
        return None
    body = _body(tree)
    if _is_cookie_wall(tree):
        return COOKIE_WALL
    if _has_prose(body):  # an abstract-length paragraph: the buy box or comment captcha sits beside content
        return None
    if len(_shown(body)) < THIN_PAGE_CHARS and _has_challenge(tree):
        return CAPTCHA
    if _has_paywall(tree):
        return PAYWALL
    if _is_error_page(tree):
        return ERROR_PAGE
    return None


def _elements(tree: etree._Element):
    return (el for el in tree.iter() if isinstance(el.tag, str))


def _names(el: etree._Element) -> str:
    return " ".join(el.get(a) or "" for a in ("id", "class", "name")).lower()


def _urls(el: etree._Element) -> str:
    return " ".join(el.get(a) or "" for a in ("src", "href", "action", "data-src")).lower()


def _body(tree: etree._Element) -> etree._Element:
    body = tree.find("body")
    return body if body is not None else tree


def _shown(root: etree._Element, without: frozenset[int] = frozenset()) -> str:
    """The text a reader sees under `root`: scripts, styles and the elements in `without` (by id()) left out."""
    parts: list[str] = []
    hidden = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        skipped = not isinstance(el.tag, str) or el.tag in INVISIBLE_TAGS or id(el) in without
        if event == "start":
            hidden += skipped
            if not hidden and el.text:
                parts.append(el.text)
        else:
            hidden -= skipped
            if not hidden and el.tail:
                parts.append(el.tail)
    return _SPACE_RE.sub(" ", " ".join(parts)).strip()


def _has_challenge(tree: etree._Element) -> bool:
    for el in _elements(tree):
        if any(t in _urls(el) for t in CHALLENGE_URL_TOKENS) or any(t in _names(el) for t in CHALLENGE_ATTR_TOKENS):
            return True
        if el.tag == "script" and el.text and CHALLENGE_SCRIPT_RE.search(el.text):
            return True
    return False


def _is_cookie_wall(tree: etree._Element) -> bool:
    """A consent container or form, and next to nothing shown outside it."""
    containers = tuple(el for el in _elements(tree) if el.tag not in ("html", "body")
                       and (CONSENT_ATTR_RE.search(_names(el))
                            or (el.tag == "form" and CONSENT_URL_RE.search(el.get("action") or ""))))
    if not containers:
        return False
    return len(_shown(_body(tree), frozenset(map(id, containers)))) < COOKIE_WALL_OUTSIDE_CHARS


def _has_paywall(tree: etree._Element) -> bool:
    for el in _elements(tree):
        if el.tag == "input" and (el.get("type") or "").lower() == "password":
            return True
        if el.tag not in ("html", "body") and PAYWALL_ATTR_RE.search(_names(el)):
            return True
        if el.tag == "meta" and (el.get("name") or el.get("property") or "").lower() == "isaccessibleforfree" \
                and (el.get("content") or "").strip().lower() in ("false", "no"):
            return True
    return any(_NOT_FREE_RE.search(s.text or "") for s in tree.iter("script")
               if (s.get("type") or "").lower() == "application/ld+json")


def _has_prose(body: etree._Element) -> bool:
    """A paragraph (a block holding no other paragraph) of at least PROSE_BLOCK_CHARS shown characters."""
    return any(len(_shown(el)) >= PROSE_BLOCK_CHARS
               for el in body.iter("p", "div", "section", "blockquote", "td", "dd")
               if el.find(".//p") is None and el.find(".//div") is None)


def _is_error_page(tree: etree._Element) -> bool:
    title = tree.find(".//title")
    if title is not None and ERROR_TITLE_RE.search(_SPACE_RE.sub(" ", title.text_content())):
        return True
    body = tree.find("body")
    return body is not None and any(ERROR_ATTR_RE.search(_names(el)) for el in _elements(body)
                                    if el.tag in ("body", "main", "div", "section", "article", "h1"))
