"""Checks a parsed record against an expectation file (format: ../shared/gold/README.md)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = Path((REPO / ".." / "shared").resolve())
TEXT_FIELDS = ("title", "abstract", "journal", "journal_abbrev", "volume", "issue", "pages", "doi", "pmid")


def norm(value: Any) -> Any:
    """NFC, every run of white space as one space, ends trimmed (recursively)."""
    if isinstance(value, str):
        return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _text_values(record: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk({k: v for k, v in record.items() if k not in ("input", "parser", "provenance")})
    return out


def check(record: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Every way `record` falls short of `spec`, as readable lines; empty when it meets it."""
    problems: list[str] = []
    rec = norm(record)
    for field, want in norm(spec.get("expect", {})).items():
        if field == "first_author":
            got = (rec.get("authors") or [None])[0]
            if not got or any(got.get(k) != v for k, v in want.items()):
                problems.append(f"first_author: want {want}, got {got}")
        elif field == "authors":
            got = rec.get("authors") or []
            if len(got) != len(want) or any(
                any(g.get(k) != v for k, v in w.items()) for g, w in zip(got, want, strict=False)
            ):
                shown = [{k: g.get(k) for k in ("last", "fore", "initials")} for g in got]
                problems.append(f"authors: want {want}, got {shown}")
        elif rec.get(field) != want:
            problems.append(f"{field}: want {want!r}, got {rec.get(field)!r}")
    abstract = rec.get("abstract") or ""
    block = norm(spec.get("abstract") or {})
    if block.get("starts_with") and not abstract.startswith(block["starts_with"]):
        problems.append(f"abstract does not start with {block['starts_with']!r}: {abstract[:120]!r}")
    if block.get("ends_with") and not abstract.endswith(block["ends_with"]):
        problems.append(f"abstract does not end with {block['ends_with']!r}: {abstract[-120:]!r}")
    for part in block.get("contains", []):
        if part not in abstract:
            problems.append(f"abstract lacks {part!r}")
    if "paragraphs" in block:
        got = len([p for p in (record.get("abstract") or "").split("\n\n") if p.strip()])
        if got != block["paragraphs"]:
            problems.append(f"abstract paragraphs: want {block['paragraphs']}, got {got}")
    affiliations = [x for a in rec.get("authors") or [] for x in a.get("affiliations") or []]
    affiliations += rec.get("affiliations") or []
    for part in norm(spec.get("affiliations_contain", [])):
        if not any(part in x for x in affiliations):
            problems.append(f"no affiliation contains {part!r}")
    for junk in norm(spec.get("boilerplate", [])):
        for field in ("title", "abstract"):
            if junk in (rec.get(field) or ""):
                problems.append(f"boilerplate {junk!r} in {field}")
    texts = _text_values(rec)
    for junk in norm(spec.get("no_field_contains", [])):
        if any(junk in t for t in texts):
            problems.append(f"{junk!r} appears in a field")
    return problems
