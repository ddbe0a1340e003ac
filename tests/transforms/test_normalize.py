"""Normalization rules of the Article record."""

from __future__ import annotations

import pytest

from transforms.article import AbstractSection, Article, Author
from transforms.normalize import (
    clean_title,
    finalize,
    language_code,
    normalize_doi,
    normalize_pages,
    parse_date,
    split_run_together,
)


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2003 Nov 3", "2003-11-03"),
        ("1998 Jul", "1998-07"),
        ("1998 Jul-Aug", "1998-07"),
        ("2000 Winter", "2000"),
        ("2000", "2000"),
        ("2 September 2000", "2000-09-02"),
        ("September 2, 2000", "2000-09-02"),
        ("12 March 2019", "2019-03-12"),
        ("2019-03-05", "2019-03-05"),
        ("2019/03/05", "2019-03-05"),
        ("2019-03-05T10:00:00Z", "2019-03-05"),
        ("March 2019", "2019-03"),
        ("not a date", None),
        ("2019 Foo 40", None),
    ],
)
def test_parse_date(raw: str, iso: str | None) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("[Multidisciplinary treatment for liver metastases].", "Multidisciplinary treatment for liver metastases"),
        ("A trial.", "A trial"),
        ("A trial...", "A trial..."),
        ("IL-2 [and] interferon", "IL-2 [and] interferon"),
        ("  A\u00a0spaced\n title  ", "A spaced title"),
    ],
)
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


def test_pages_doi_language() -> None:
    assert normalize_pages("pp 434\u2013440") == "434-440"
    assert normalize_pages("Pages 802 - 807") == "802-807"
    assert normalize_doi("https://doi.org/10.1038/SJ.BMT.1701550.") == "10.1038/sj.bmt.1701550"
    assert normalize_doi("doi:10.1007/s10147-006-0596-z") == "10.1007/s10147-006-0596-z"
    assert normalize_doi("no doi here") is None
    assert language_code("Japanese") == "jpn"
    assert language_code("de") == "ger"
    assert language_code("fre") == "fre"
    assert language_code("English") == "eng"
    assert language_code("Not A Language") is None


def test_run_together_keywords_split_back() -> None:
    assert split_run_together("Low-dose IL-2IFN-\u03b1CombinationRenal cell carcinoma") == [
        "Low-dose IL-2", "IFN-\u03b1", "Combination", "Renal cell carcinoma"]
    assert split_run_together("mRNA vaccines") == ["mRNA vaccines"]
    assert split_run_together("McDonald criteria") == ["McDonald criteria"]


def test_finalize_builds_abstract_from_sections_and_initials() -> None:
    a = Article(site="generic", source_kind="text", title="X.", pub_date="2001-02",
                abstract_sections=[AbstractSection("Background", " a  b "), AbstractSection(None, "c")],
                authors=[Author(last="Akaza", fore="Hideyuki"), Author()], keywords=["x", "X", " y."])
    finalize(a)
    assert a.abstract == "Background: a b\n\nc"
    assert a.pub_year == 2001 and a.title == "X"
    assert [au.initials for au in a.authors] == ["H"]
    assert a.keywords == ["x", "y"]
