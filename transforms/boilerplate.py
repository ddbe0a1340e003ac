"""Page furniture as data (selectors, class/id words, text lines), so all extractors drop the same things."""

from __future__ import annotations

import copy
import re
from typing import NamedTuple

from lxml import etree


class Group(NamedTuple):
    """One concern's selectors. Each kind is matched in one pass over the page, whatever the group."""

    xpaths: tuple[str, ...] = ()  # element names and structural selectors
    tokens: tuple[str, ...] = ()  # regex fragments, whole words of class and id (split on space - _)
    roles: tuple[str, ...] = ()  # ARIA roles
    headings: tuple[str, ...] = ()  # a section, div or aside opening with an h2-h4 reading one of these


def _group(**selectors: tuple[str, ...]) -> Group:
    """A group with nothing in it would silently match nothing: refuse it."""
    if not any(selectors.values()):
        raise ValueError("empty boilerplate group")
    return Group(**selectors)


# A list whose every item is only an in-page link: a table of contents ("Top of page", "Abstract", ...).
# One path per list tag: libxml2 walks `//ul | //ol` faster than `//*[self::ul or self::ol]`.
_ONLY_IN_PAGE_LINKS = "[li][not(li[not(a[starts-with(@href, '#')]) or normalize-space() != normalize-space(a[1])])]"
IN_PAGE_LINK_LISTS = ("//ul" + _ONLY_IN_PAGE_LINKS, "//ol" + _ONLY_IN_PAGE_LINKS)

# 1. Navigation: menus, breadcrumbs, skip links, tables of contents, pagination.
NAVIGATION = _group(
    xpaths=("//nav", "//a[starts-with(normalize-space(), 'Skip to')]", *IN_PAGE_LINK_LISTS),
    tokens=(r"nav", r"navbar", r"navigation", r"menu", r"breadcrumbs?", r"skip-?link", r"pagination",
            r"toc", r"jump-?(?:to|list|links?)", r"sidebar-?nav", r"mega-?menu"),
    roles=("navigation", "menu", "menubar"),
)
# 2. Site header and footer (not an <article>'s own <header>, which holds the title).
HEADERS_FOOTERS = _group(
    xpaths=("//footer", "//header[not(ancestor::article or ancestor::main)][not(.//h1)]"),
    tokens=(r"site-?header", r"global-?header", r"masthead", r"site-?footer", r"global-?footer",
            r"page-?footer", r"footer"),
    roles=("banner", "contentinfo"),
)
# 3. Cookie and consent banners, privacy notices.
CONSENT = _group(
    tokens=(r"cookies?\w*", r"consent\w*", r"gdpr", r"onetrust\w*", r"cc-?(?:banner|window)",
            r"privacy-?(?:banner|notice)"),
)
# 4. Advertising.
ADS = _group(
    xpaths=("//ins[contains(@class, 'adsbygoogle')]",),
    tokens=(r"ads?", r"advert\w*", r"adslot", r"ad-?(?:container|wrapper|banner|unit|slot|leaderboard)",
            r"sponsor\w*", r"dfp", r"banner-?ad"),
)
# 5. Share and social widgets.
SHARE_SOCIAL = _group(
    tokens=(r"share\w*", r"social\w*", r"sharing", r"addthis\w*", r"twitter\w*", r"facebook\w*",
            r"altmetric\w*", r"service-?links"),
)
# 6. Other articles: similar, related, recommended, most read (they carry other articles' abstracts).
RELATED = _group(
    tokens=(r"related\w*", r"similar\w*", r"recommend\w*", r"more-?like-?this", r"also-?read",
            r"most-?(?:read|cited|viewed|popular)", r"trending", r"popular"),
    headings=("Similar articles", "Related articles", "Recommended articles", "Recommended",
              "You may also like", "Related content", "Similar content being viewed by others",
              "More like this", "People also read", "Most read", "Most cited"),
)
# 7. Articles citing this one.
CITED_BY = _group(
    tokens=(r"cited-?by\w*", r"citing-?articles?", r"citedby\w*"),
    headings=("Cited by", "Cited By", "Citing articles", "This article is cited by",
              "Articles citing this article"),
)
# 8. Reference lists.
REFERENCES = _group(
    tokens=(r"references?", r"ref-?list", r"reflist", r"bibliography", r"citation-?list", r"bib-?list",
            r"literature-?cited"),
    headings=("References", "REFERENCES", "Bibliography", "Literature Cited", "Literature cited",
              "References and Notes", "Works Cited"),
)
# 9. Purchase, access and subscription boxes, and sign-ups for article alerts.
ACCESS_PURCHASE = _group(
    tokens=(r"access-?options?", r"buy\w*", r"purchase\w*", r"paywall\w*", r"subscri(?:be|ption)\w*",
            r"get-?access", r"institutional-?access", r"login-?box", r"rent\w*", r"alerts?-?sign-?up\w*"),
    headings=("Access options", "Buy this article", "Purchase", "Get access", "Access this article"),
)
# 10. Not boilerplate, but never prose: scripts, styles, form controls, embedded objects.
NON_TEXT = _group(
    xpaths=("//script", "//style", "//noscript", "//template", "//svg", "//button", "//select",
            "//textarea", "//input", "//iframe", "//object", "//canvas", "//link", "//meta"),
)
# 11. Prose that is not abstract prose: figures, captions, tables, forms. Kept by `strip_boilerplate`,
#     removed only from an abstract block.
NOT_ABSTRACT = _group(
    xpaths=(".//figure", ".//figcaption", ".//table", ".//form", ".//img", *("." + x for x in IN_PAGE_LINK_LISTS)),
    tokens=(r"caption", r"figure", r"fig", r"graphical-?abstract", r"table-?wrap"),
)

BOILERPLATE_GROUPS: dict[str, Group] = {
    "navigation": NAVIGATION,
    "headers_footers": HEADERS_FOOTERS,
    "consent": CONSENT,
    "ads": ADS,
    "share_social": SHARE_SOCIAL,
    "related": RELATED,
    "cited_by": CITED_BY,
    "references": REFERENCES,
    "access_purchase": ACCESS_PURCHASE,
    "non_text": NON_TEXT,
}
# Token matches on these elements are ignored: a `<body class="cookie-banner-open">` is still the page.
PROTECTED_TAGS = frozenset({"html", "head", "body", "main"})
SECTION_TAGS = frozenset({"section", "div", "aside"})
_CLASSED_XPATH = etree.XPath("//*[@class or @id]")
_HEADING_XPATH = etree.XPath("//h2[not(preceding-sibling::*)] | //h3[not(preceding-sibling::*)]"
                             " | //h4[not(preceding-sibling::*)]")
_SPACE_RE = re.compile(r"\s+")


def _token_regex(groups: list[Group]) -> re.Pattern[str] | None:
    """One regex for every token. Tokens are grouped by their first letter (`a(?:ds?|dvert...)|b(?:...)`),
    which matches the same words as the plain alternation and tries far fewer branches at each word."""
    tokens = [t for g in groups for t in g.tokens]
    if not tokens:
        return None
    by_letter: dict[str, list[str]] = {}
    for token in tokens:
        key = token[0].lower() if token[0].isalpha() else ""
        by_letter.setdefault(key, []).append(token[1:] if key else token)
    branches = [f"{key}(?:{'|'.join(rests)})" if key else "|".join(rests) for key, rests in by_letter.items()]
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(branches) + r")(?![a-z0-9])", re.I)


def attribute_words(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


class Matcher:
    """Groups compiled for speed: one XPath union, one role test, one heading set, one token regex."""

    def __init__(self, groups: list[Group]) -> None:
        xpaths = [x for g in groups for x in g.xpaths]
        roles = sorted({r for g in groups for r in g.roles})
        if roles:
            # The elements of the matching role attributes: faster than testing every element's @role.
            xpaths.append("//@role[" + " or ".join(f".='{r}'" for r in roles) + "]/..")
        self.xpath = etree.XPath(" | ".join(xpaths)) if xpaths else None
        self.headings = frozenset(h for g in groups for h in g.headings)
        self.tokens = _token_regex(groups)

    def _token_match(self, el: etree._Element, seen: dict[str, bool]) -> bool:
        """A class/id word matches, on an element that is no page wrapper (one holding the `<h1>` title).
        `seen`: the regex's answer for the class/id strings met so far in this tree (they repeat a lot)."""
        if el.tag in PROTECTED_TAGS:
            return False
        words = attribute_words(el)
        hit = seen.get(words)
        if hit is None:
            hit = seen[words] = self.tokens.search(words) is not None  # type: ignore[union-attr]
        return hit and el.find(".//h1") is None

    def _headed(self, tree: etree._Element) -> list[etree._Element]:
        """Sections opening with a listed heading. Only the first child counts: in flat layouts (one div,
        h2 after h2) a later heading names a part of the div, not the div."""
        found = []
        for heading in _HEADING_XPATH(tree):
            parent = heading.getparent()
            text = _SPACE_RE.sub(" ", heading.text_content()).strip()
            if parent is not None and parent.tag in SECTION_TAGS and text in self.headings:
                found.append(parent)
        return found

    def find(self, tree: etree._Element) -> list[etree._Element]:
        found = list(self.xpath(tree)) if self.xpath is not None else []
        if self.headings:
            found += self._headed(tree)
        if self.tokens is not None:
            seen: dict[str, bool] = {}
            found += [el for el in _CLASSED_XPATH(tree) if self._token_match(el, seen)]
        return found


BOILERPLATE = Matcher(list(BOILERPLATE_GROUPS.values()))
NOT_ABSTRACT_MATCHER = Matcher([NOT_ABSTRACT])
RELATED_TOKENS = _token_regex([RELATED, CITED_BY])


def remove_element(el: etree._Element) -> None:
    """Detach `el`, keeping its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def strip_boilerplate(tree: etree._Element) -> etree._Element:
    """A copy of `tree` without page furniture; the caller's tree (often `page.tree`) is not touched."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    clean = copy.deepcopy(root)
    for el in BOILERPLATE.find(clean):
        remove_element(el)
    return clean


def _lines(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """Anchored, case-insensitive line patterns; an empty group is a mistake, so refuse it."""
    if not patterns:
        raise ValueError("empty pattern group")
    return tuple(re.compile(rf"^\s*(?:{p})\s*$", re.I) for p in patterns)


# Text-copy lines common across sites, grouped by concern, for the text-page extractors.
NAVIGATION_LINES = _lines(
    r"skip to (?:main )?(?:page )?content", r"skip to (?:main )?navigation", r"main (?:menu|navigation)",
    r"search(?: this site| articles?)?", r"menu", r"back to top", r"go to:?", r"jump to(?: section)?:?",
    r"previous article", r"next article", r"open in (?:a )?new (?:tab|window)",
)
CONSENT_LINES = _lines(
    r".*\bwe use cookies\b.*", r".*\buses? cookies\b.*", r"accept (?:all )?cookies",
    r"reject (?:all )?cookies",
    r"cookie (?:settings|preferences|policy)", r"manage (?:cookies|preferences)", r"your privacy.*",
    r"accept all", r"reject all",
)
ARTICLE_TOOL_LINES = _lines(
    r"download citation", r"download pdf", r"download (?:full[- ]text )?pdf", r"cite this article",
    r"export citation", r"rights and permissions", r"reprints and permissions", r"share this article",
    r"permissions", r"article metrics", r"metrics(?: details)?", r"\d+\s+accesses", r"\d+\s+citations",
    r"\d+\s+altmetric", r"view (?:pdf|full text|article)", r"full text links", r"save (?:article|to library)",
)
OTHER_ARTICLE_LINES = _lines(
    r"similar articles", r"related articles", r"recommended articles", r"this article is cited by",
    r"cited by(?: \d+.*)?", r"articles citing this article", r"you may also like",
    r"similar content being viewed by others", r"more like this", r"people also read",
)
ACCESS_LINES = _lines(
    r"access options", r"buy (?:this )?article.*", r"buy single article", r"purchase (?:this )?article.*",
    r"rent this article.*", r"subscribe(?: to (?:this )?journal)?", r"get access", r"log ?in via .*",
    r"access through your institution", r"this is a preview of subscription content.*",
    r"instant access to the full article pdf\.?", r"learn more about institutional subscriptions",
    r"advertisement", r"check for updates",
)
BOILERPLATE_LINE_GROUPS: dict[str, tuple[re.Pattern[str], ...]] = {
    "navigation": NAVIGATION_LINES,
    "consent": CONSENT_LINES,
    "article_tools": ARTICLE_TOOL_LINES,
    "other_articles": OTHER_ARTICLE_LINES,
    "access": ACCESS_LINES,
}
BOILERPLATE_LINES: tuple[re.Pattern[str], ...] = tuple(p for g in BOILERPLATE_LINE_GROUPS.values() for p in g)


def is_boilerplate_line(line: str) -> bool:
    return any(p.match(line) for p in BOILERPLATE_LINES)
