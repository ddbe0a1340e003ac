"""Text copies: the cues that say whose page a copy is, and lines that only look like a site's."""

from __future__ import annotations

import pytest

from transforms.sites import pubmed, springer


@pytest.mark.parametrize(
    "line",
    ["Br J Cancer. 2003 Nov 3;89(9):1620-6.", "Proc Natl Acad Sci U S A. 2010 Mar 2;107(9):4389-94.",
     ". 1998 Jul;99(7):430-5.", "Nihon Geka Gakkai Zasshi. 1998 Jul."],
)
def test_pubmed_citation_lines(line):
    assert pubmed.is_citation_line(line)


def test_prose_ending_a_sentence_on_a_year_is_no_citation_line():
    line = ("A search on notices of retraction issued in 2008 was repeated every 3 months during 15 months "
            "from February 2011. The first search resulted in 237 notices.")
    assert pubmed.CITATION_RE.match(line)  # the pattern alone would take it
    assert not pubmed.is_citation_line(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [("BMC Research Notes20147:395", ("BMC Research Notes", "2014", "7", "395")),
     ("Trials201617:131", ("Trials", "2016", "17", "131")),
     ("Journal of Ovarian Research201811:2", ("Journal of Ovarian Research", "2018", "11", "2"))],
)
def test_bmc_masthead_cite_run_together_by_a_text_copy(line, expected):
    m = springer.BMC_CITE_RE.match(line)
    assert m and (m.group("journal"), m.group("year"), m.group("volume"), m.group("article")) == expected


@pytest.mark.parametrize("line", ["Published: 25 June 2014", "Results: 2014 patients, 7:3 ratio",
                                  "What time-lag for a retraction search on PubMed?"])
def test_other_lines_are_no_bmc_cite(line):
    assert springer.BMC_CITE_RE.match(line) is None
