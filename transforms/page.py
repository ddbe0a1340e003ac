"""`Page`: one decoded document with the views (lines, HTML tree, host) the site extractors share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from transforms.errors import ParseError

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity)
_META_XPATH = etree.XPath("//meta[@name or @property]")


@dataclass
class Page:
    text: str
    kind: str  # "text" or "html"
    name: str
    url: str | None = None

    @cached_property
    def host(self) -> str:
        if not self.url:
            return ""
        host = urlsplit(self.url if "//" in self.url else f"//{self.url}").hostname or ""
        return host.lower().removeprefix("www.")

    @cached_property
    def lines(self) -> list[str]:
        """Lines with trailing white space removed; blank lines kept, since they separate paragraphs."""
        return [line.rstrip() for line in self.text.splitlines()]

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        """The parsed HTML. lxml's HTML parser loads no DTD and fetches nothing. Every element is a plain
        `HtmlElement` (no form classes): lxml.html picks those in Python for each element touched."""
        parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
        parser.set_element_class_lookup(_HTML_CLASSES)
        # lxml refuses a str that still carries an XML encoding declaration; the text is decoded already.
        try:
            return lxml.html.document_fromstring(_XML_DECLARATION_RE.sub("", self.text, count=1), parser=parser)
        except (etree.ParserError, etree.XMLSyntaxError) as exc:  # nothing but a doctype or comment
            raise ParseError(self.name, f"not an HTML document: {exc}", stage="parse") from exc

    @cached_property
    def meta_pairs(self) -> list[tuple[str, str]]:
        """Every `<meta name|property>` as (lower-cased key, value as written), in document order: the one
        reading of the meta tags, for the site cues (`meta`) and the embedded metadata (transforms.embedded)."""
        pairs = []
        for el in _META_XPATH(self.tree):
            key = (el.get("name") or el.get("property") or "").strip().lower()
            if key:
                # Some saved pages carry the value in `value=` instead of `content=`.
                content = el.get("content")
                pairs.append((key, content if content is not None else el.get("value") or ""))
        return pairs

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """`<meta>` values (stripped, empty ones kept) by lower-cased name or property, for site cues."""
        out: dict[str, list[str]] = {}
        for key, value in self.meta_pairs:
            out.setdefault(key, []).append(value.strip())
        return out

    def meta_has(self, names: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(value) for name in names for value in self.meta.get(name, []))

    def host_matches(self, hosts: tuple[str, ...]) -> bool:
        return on_hosts(self.host, hosts)


def on_hosts(host: str, hosts: tuple[str, ...]) -> bool:
    """`host` is one of `hosts` or a subdomain of one (www.x.org, journals.x.org on x.org)."""
    return any(host == h or host.endswith("." + h) for h in hosts)
