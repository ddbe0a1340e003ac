"""Line patterns and token lists for pages saved as text, kept as data and grouped by concern."""

from __future__ import annotations

import re


def _lines(*patterns: str) -> re.Pattern[str]:
    """One anchored, case-insensitive pattern from a group; an empty group is a mistake, so refuse it."""
    if not patterns:
        raise ValueError("empty pattern group")
    return re.compile(r"^\s*(?:•\s*)?(?:" + "|".join(patterns) + r")\s*$", re.I)


# 1. Headings that end an abstract: what follows is body text, references or page furniture.
ABSTRACT_END = _lines(
    r"introduction", r"main", r"main text", r"references?", r"bibliography", r"acknowledge?ments?",
    r"key\s?words?\s*:?.*", r"keyword\s*:.*", r"author information", r"authors? and affiliations",
    r"access options", r"buy (?:this )?article.*", r"subscribe.*", r"this is a preview of subscription content.*",
    r"similar (?:content|articles).*", r"rights and permissions", r"reprints and permissions",
    r"about this article", r"cite this article.*", r"copyright information", r"copyright\b.*", r"©.*",
    r"notes", r"data availability", r"change history", r"additional information", r"ethics declarations",
    r"supplementary (?:information|material)", r"download references", r"download citation", r"figures?",
    r"pubmed disclaimer", r"conflict of interest statement", r"comment (?:in|on)", r"cited by.*",
    r"this article is cited by", r"quick links", r"search",
    r"publication types", r"mesh terms", r"substances", r"grants and funding", r"linkout.*",
    r"full text links", r"\[indexed for medline\]", r"pmid:.*", r"free (?:pmc )?article",
    r"pubmed commons.*", r"supplemental content", r"related (?:articles|information|links).*",
    r"source\s*:.*", r"share this article", r"access this (?:article|chapter)", r"log in via an institution",
    r"associated data", r"erratum in.*", r"update of.*", r"update in.*", r"no abstract available\.?",
    r"article (?:metrics|information)", r"metrics details", r"competing interests?(?: statement)?", r"funding",
    r"author contributions", r"similar content being viewed by others", r"advertisement",
)

# 2. Page furniture lines of any site: never part of a title, abstract or author list.
FURNITURE = _lines(
    r"skip to (?:main )?(?:page )?content", r"skip to main page content", r"u\.s\. flag",
    r"an official website of the united states government", r"dot gov", r"https",
    r"the \.gov means it.s official\.?", r"federal government websites often end in .*",
    r"the site is secure\.?", r"the https:// ensures that .*", r"access keys .*", r"main navigation",
    r"send to", r"choose destination", r"format: .*", r"see comment in pubmed commons below",
    r"thank you for visiting nature\.com.*", r"advertisement", r"log in", r"menu", r"search",
    r"find a journal", r"publish with us", r"track your research", r"loading\s*\.*", r"support center",
    r"icon for .*", r"full text links", r"actions", r"cite", r"collections", r"share", r"permalink",
    r"copy", r"page navigation", r"display options", r"save", r"email", r"add to collections",
    r"we use cookies.*", r"accept (?:all )?cookies", r"cookie (?:settings|preferences|policy)",
    r"manage cookies", r"open access", r"published:?", r"issue date:?", r"received:?", r"accepted:?",
    r"quick links", r"download pdf", r"view pdf", r"pdf", r"article", r"sections", r"go to:",
    r"\d+k? accesses", r"\d+ citations", r"\d+ altmetric", r"metrics details", r"explore all metrics",
    r"affiliations", r"expand", r"show more", r"show less", r"item in clipboard", r"free article",
    r"free pmc article", r"similar articles", r"cited by", r"review", r"\[indexed for medline\]",
    # Springer Nature Link's current masthead actions and breadcrumb.
    r"save article", r"view saved research", r"saved research", r"cart", r"\d\.\s+home", r"cite this article",
)

# 3. Labels of structured abstracts, as they appear on their own line or run in before a colon.
ABSTRACT_LABELS = (
    "abstract", "background", "backgrounds", "background and aims", "background and purpose",
    "purpose", "objective", "objectives", "aim", "aims", "aim of the study", "introduction", "context",
    "rationale", "importance", "hypothesis", "method", "methods", "methodology", "materials and methods",
    "patients and methods", "methods and materials", "methods and results", "design", "study design",
    "design, setting, and participants", "setting", "settings", "participants", "patients", "subjects",
    "population", "interventions", "intervention", "measurements", "main outcome measures",
    "main outcomes and measures", "outcome measures", "exposure", "exposures", "data sources",
    "study selection", "data extraction", "data synthesis", "evidence acquisition", "evidence synthesis",
    "results", "findings", "observations", "case presentation", "case report", "case", "case summary",
    "discussion", "conclusion", "conclusions", "interpretation", "conclusions and relevance",
    "implications", "clinical implications", "clinical relevance", "significance", "summary",
    "limitations", "funding", "trial registration", "registration", "level of evidence",
    "key points", "question", "meaning", "what is known", "what is new", "principal findings",
)
_LABEL_ALT = "|".join(re.escape(label) for label in sorted(ABSTRACT_LABELS, key=len, reverse=True))
LABEL_LINE_RE = re.compile(rf"^\s*({_LABEL_ALT})\s*:?\s*$", re.I)
# A label compounded from the words of the labels above, as journals vary them ("Design, settings, and
# participants", "Methods and findings"): two to six such words joined by commas, "and", "&" or "/".
_LABEL_WORDS = sorted({w for label in ABSTRACT_LABELS for w in re.findall(r"[a-z]+", label)} - {"and", "of", "the"}
                      | {"setting", "settings", "outcome", "outcomes", "measure", "measures", "material", "materials",
                         "method", "result", "finding", "conclusion", "objective", "aim", "background"},
                      key=len, reverse=True)
_WORD_ALT = "|".join(_LABEL_WORDS)
COMPOUND_LABEL = (rf"(?:{_WORD_ALT})(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*[&/]\s*|\s+(?:of\s+(?:the\s+)?)?)"
                  rf"(?:{_WORD_ALT})){{1,5}}")
COMPOUND_LABEL_RE = re.compile(rf"^\s*({COMPOUND_LABEL})\s*:?\s*$", re.I)
# Run-in label: "BACKGROUND: text", "Methods: text". Upper-case labels may be any short phrase.
RUN_IN_LABEL_RE = re.compile(
    rf"^\s*((?:{_LABEL_ALT})|(?:{COMPOUND_LABEL})|[A-Z][A-Z ,&/-]{{2,48}}[A-Z])\s*[:.]\s+(?=\S)", re.I
)

# 4. Publication types as PubMed names them (the label above a title, and its "Publication types" list).
PUBMED_PUBLICATION_TYPES = frozenset(
    t.lower()
    for t in (
        "Review", "Systematic Review", "Meta-Analysis", "Randomized Controlled Trial", "Clinical Trial",
        "Clinical Trial, Phase I", "Clinical Trial, Phase II", "Clinical Trial, Phase III",
        "Clinical Trial, Phase IV", "Controlled Clinical Trial", "Multicenter Study", "Comparative Study",
        "Observational Study", "Case Reports", "Editorial", "Letter", "Comment", "News", "Guideline",
        "Practice Guideline", "Consensus Development Conference", "Evaluation Study", "Validation Study",
        "Journal Article", "English Abstract", "Historical Article", "Biography", "Lecture", "Interview",
        "Published Erratum", "Retracted Publication", "Retraction of Publication", "Preprint",
        "Research Support, Non-U.S. Gov't", "Research Support, N.I.H., Extramural",
        "Research Support, N.I.H., Intramural", "Research Support, U.S. Gov't, P.H.S.",
        "Research Support, U.S. Gov't, Non-P.H.S.", "Research Support, American Recovery and Reinvestment Act",
        "Twin Study", "Clinical Study", "Pragmatic Clinical Trial", "Equivalence Trial",
        "Adaptive Clinical Trial", "Video-Audio Media", "Webcast", "Congress", "Overall", "Dataset",
        "Introductory Journal Article", "Portrait", "Autobiography", "Address", "Bibliography",
        "Classical Article", "Corrected and Republished Article", "Duplicate Publication",
        "Expression of Concern", "Festschrift", "Patient Education Handout", "Personal Narrative",
        "Scientific Integrity Review", "Technical Report", "Retraction Notice", "Legal Case", "Legislation",
        "Newspaper Article", "Directory", "Study Guide", "Case Report",
    )
)

# Publication types that also begin journal abbreviations ("News Physiol Sci", "Address ..."): never split
# off the front of a journal line.
JOURNAL_LEADING_WORDS = frozenset(
    {"news", "address", "congress", "directory", "dataset", "overall", "portrait", "legislation", "bibliography",
     "lecture", "webcast", "interview", "biography", "festschrift"}
)

# 5. Words that make an author entry a group rather than a person.
COLLECTIVE_WORDS = re.compile(
    r"\b(?:group|committee|consortium|investigators|collaborat\w*|network|society|association|"
    r"trial|study|team|working|writing|council|task force|panel|alliance|initiative|program+e?|"
    r"organi[sz]ation|foundation|institute|centre|center|registry|members)\b",
    re.I,
)

# 6. Field lines on repository and blog pages ("Title: …", "Issue Date: …").
FIELD_LINE_RE = re.compile(
    r"^\s*(title|authors?|creators?|contributors?|issue date|date|publication date|published|journal title|journal|"
    r"start page|end page|"
    r"source|citation|abstract|keywords?|subjects?|doi|uri|volume|issue|pages|language|type|"
    r"publisher|issn|e?issn|description|rights|appears in collections|text version|files in this item|"
    r"sponsorship|notes?|series|identifier|format|relation|citation|handle)\s*:\s*(.*)$",
    re.I,
)
