"""Bytes to text, decoded once: BOM, declared charset, then detection; mojibake repaired here."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import ftfy

from transforms import textfix

_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# ftfy's defaults also straighten curly quotes and fold full-width forms: that changes real text.
_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=False)

# East Asian characters standing alone between Latin words are UTF-8 bytes read through a legacy
# double-byte codec: the UTF-8 of a no-break space (C2 A0) read as CP949 is U+D63B.
_CJK = "\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_STRAY_CJK_RE = re.compile(f"(?<=[A-Za-z0-9.,;:)\\]\u2013\u2014 ])([{_CJK}]{{1,3}})(?=[A-Za-z0-9(\\[ ]|$)", re.M)
_ANY_CJK_RE = re.compile(f"[{_CJK}]")
_LEGACY_CODECS = ("cp949", "gbk", "big5", "shift_jis", "euc_jp")
# A text counts as Latin-script when this share of its letters are Latin; then stray CJK is suspect.
LATIN_SHARE_FOR_REPAIR = 0.9


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    if content_type:
        m = _HEADER_CHARSET_RE.search(content_type)
        if m:
            return m.group(1).decode() if isinstance(m.group(1), bytes) else m.group(1)
    head = body[:4096]
    m = _XML_DECL_RE.match(head) or _META_CHARSET_RE.search(head)
    return m.group(1).decode("ascii", "ignore") if m else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, content_type: str | None = None) -> str:
    """BOM, then the declared charset (header, XML declaration, `<meta>`), then detection."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    declared = _codec(_declared_charset(body, content_type))
    if declared:
        try:
            return body.decode(declared)
        except UnicodeDecodeError:
            pass  # a wrong declaration is common; fall through to detection
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("cp1252", errors="replace")


def _latin_share(text: str) -> float:
    letters = [c for c in text[:20000] if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c < "\u0250") / len(letters)


def _undo_legacy_codec(run: str) -> str | None:
    for codec in _LEGACY_CODECS:
        try:
            fixed = run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if all(c < "\u0250" or c.isspace() or "\u2000" <= c <= "\u206f" for c in fixed):
            return fixed
    return None


def repair_stray_cjk(text: str) -> str:
    """Undo UTF-8 read as CP949/GBK/Shift-JIS where it hit single characters in Latin text."""
    if not _ANY_CJK_RE.search(text) or _latin_share(text) < LATIN_SHARE_FOR_REPAIR:
        return text
    return _STRAY_CJK_RE.sub(lambda m: _undo_legacy_codec(m.group(1)) or m.group(1), text)


def repair(text: str) -> str:
    """Mojibake repair: ftfy for the common UTF-8-as-Latin-1/CP1252 kind (on the lines it could change),
    then stray legacy CJK."""
    return repair_stray_cjk(textfix.fix_text(text, _FTFY_CONFIG))


def to_text(body: bytes, content_type: str | None = None) -> str:
    return repair(decode(body, content_type))
