-- One article, many sources. The rules are in warehouse/merge.py, the priority table in README ("One row per article").
--
-- `article_sources`: one row per loaded document, beside its `sources` row (same source_id): the article it was
-- matched to, the keys it is matched by (PMID, DOI, PMCID, normalized title with year, first author), and its own
-- parsed record (`record`: the Article as JSON) with its `provenance` (field -> where in the document the value
-- was read). An article is merged again from these records whenever one of its sources is added, changed or
-- removed; the documents themselves are never needed again. While a source is its article's only one, `record` is
-- NULL: the article's rows are then exactly its record (they are read back from them when a second source comes),
-- and a bulk load writes each record once instead of twice. No keys or indexes (see 0005): the loader alone
-- writes it.
--
-- `articles` keeps one row per article, the merge of its sources. `chosen_from` lists, best source first, each
-- source (input) with the fields of the row it gave; the view `article_field_sources` unnests it to one row per
-- field with the source's kind, site and provenance. `retracted` is set by the article's own record (publication
-- type "Retracted Publication", a RetractionIn link) or by a notice's RetractionOf link naming its PMID, whichever
-- is loaded first.
--
-- Deletions (PubMed's DeleteCitation, `delete_pmids`): what PubMed published under the PMID goes, its XML records
-- and its own pages (site 'pubmed'). An article that other sources still describe (a publisher page, a text copy)
-- stays, merged again from them: those documents exist whatever PubMed withdrew; a PMID one of them quotes stays
-- with it. An article left without sources goes with all its rows. The PMID is kept in `deleted_pmids`.
--
-- Backfill: a database loaded before this migration kept only each article's newest record, so each of its sources
-- gets the article's row as its record (title key in SQL, close to merge.title_key: accents and punctuation
-- dropped, lower case, five words or more), and `chosen_from` names the newest source for every filled field.

CREATE TABLE article_sources (
    source_id    BIGINT NOT NULL,
    article_id   BIGINT NOT NULL,
    input        VARCHAR NOT NULL,
    source_kind  VARCHAR NOT NULL,
    site         VARCHAR NOT NULL,
    pmid         VARCHAR,
    pmid_version INTEGER,
    pmcid        VARCHAR,
    doi          VARCHAR,
    title        VARCHAR,
    pub_year     INTEGER,
    title_key    VARCHAR,
    first_author VARCHAR,
    record       JSON,
    provenance   JSON NOT NULL
);

CREATE TEMP TABLE legacy_records AS
WITH affs AS (
    SELECT article_id, author_position, list(affiliation ORDER BY "position") AS affiliations
    FROM author_affiliations GROUP BY ALL
),
au AS (
    SELECT x.article_id,
           list({'last': x."last", 'fore': x.fore, 'initials': x.initials, 'collective': x.collective,
                 'affiliations': coalesce(f.affiliations, []::VARCHAR[]), 'orcid': x.orcid} ORDER BY x."position")
               AS authors,
           arg_min(coalesce(x."last", x.collective, x.fore), x."position") AS first_name
    FROM authors x LEFT JOIN affs f ON f.article_id = x.article_id AND f.author_position = x."position"
    GROUP BY x.article_id
),
secs AS (SELECT article_id, list({'label': "label", 'text': "text"} ORDER BY "position") AS v
         FROM abstract_sections GROUP BY ALL),
affl AS (SELECT article_id, list(affiliation ORDER BY "position") AS v FROM article_affiliations GROUP BY ALL),
kws AS (SELECT article_id, list(keyword ORDER BY "position") AS v FROM keywords GROUP BY ALL),
mesh AS (SELECT article_id, list({'descriptor': descriptor, 'major': major, 'qualifiers': qualifiers, 'ui': ui}
                                 ORDER BY "position") AS v FROM mesh_terms GROUP BY ALL),
pts AS (SELECT article_id, list(publication_type ORDER BY "position") AS v FROM publication_types GROUP BY ALL),
oas AS (SELECT article_id, list({'text': "text", 'type': "type", 'language': "language"} ORDER BY "position") AS v
        FROM other_abstracts GROUP BY ALL),
lks AS (SELECT article_id, list({'kind': kind, 'pmid': pmid, 'note': note} ORDER BY "position") AS v
        FROM article_links GROUP BY ALL)
SELECT a.article_id, au.first_name,
       to_json({'source_url': a.source_url, 'pmid': a.pmid, 'pmcid': a.pmcid, 'doi': a.doi, 'title': a.title,
                'abstract': a.abstract, 'abstract_sections': secs.v, 'journal': a.journal,
                'journal_abbrev': a.journal_abbrev, 'issn': a.issn, 'volume': a.volume, 'issue': a.issue,
                'pages': a.pages, 'pub_date': a.pub_date, 'pub_year': a.pub_year, 'authors': au.authors,
                'affiliations': coalesce(affl.v, []::VARCHAR[]), 'keywords': coalesce(kws.v, []::VARCHAR[]), 'mesh_terms': mesh.v, 'publication_types': coalesce(pts.v, []::VARCHAR[]),
                'language': a."language", 'vernacular_title': a.vernacular_title, 'other_abstracts': oas.v,
                'links': lks.v, 'pmid_version': a.pmid_version, 'parser': a.parser,
                'warnings': coalesce(a.warnings, []::VARCHAR[])})
           AS record,
       [f FOR f IN ['site', 'source_kind', 'parser',
                    CASE WHEN a.source_url <> '' THEN 'source_url' END, CASE WHEN a.pmid <> '' THEN 'pmid' END,
                    CASE WHEN a.pmcid <> '' THEN 'pmcid' END, CASE WHEN a.doi <> '' THEN 'doi' END,
                    CASE WHEN a.title <> '' THEN 'title' END, CASE WHEN a.abstract <> '' THEN 'abstract' END,
                    CASE WHEN secs.v IS NOT NULL THEN 'abstract_sections' END,
                    CASE WHEN a.journal <> '' THEN 'journal' END,
                    CASE WHEN a.journal_abbrev <> '' THEN 'journal_abbrev' END,
                    CASE WHEN a.issn <> '' THEN 'issn' END, CASE WHEN a.volume <> '' THEN 'volume' END,
                    CASE WHEN a.issue <> '' THEN 'issue' END, CASE WHEN a.pages <> '' THEN 'pages' END,
                    CASE WHEN a.pub_date <> '' THEN 'pub_date' END, CASE WHEN a.pub_year <> 0 THEN 'pub_year' END,
                    CASE WHEN au.authors IS NOT NULL THEN 'authors' END,
                    CASE WHEN affl.v IS NOT NULL THEN 'affiliations' END,
                    CASE WHEN kws.v IS NOT NULL THEN 'keywords' END,
                    CASE WHEN mesh.v IS NOT NULL THEN 'mesh_terms' END,
                    CASE WHEN pts.v IS NOT NULL THEN 'publication_types' END,
                    CASE WHEN a."language" <> '' THEN 'language' END,
                    CASE WHEN a.vernacular_title <> '' THEN 'vernacular_title' END,
                    CASE WHEN oas.v IS NOT NULL THEN 'other_abstracts' END,
                    CASE WHEN lks.v IS NOT NULL THEN 'links' END,
                    CASE WHEN a.pmid_version <> 0 THEN 'pmid_version' END,
                    CASE WHEN len(a.warnings) > 0 THEN 'warnings' END] IF f IS NOT NULL] AS filled
FROM articles a
LEFT JOIN au USING (article_id) LEFT JOIN secs USING (article_id) LEFT JOIN affl USING (article_id)
LEFT JOIN kws USING (article_id) LEFT JOIN mesh USING (article_id) LEFT JOIN pts USING (article_id)
LEFT JOIN oas USING (article_id) LEFT JOIN lks USING (article_id);

INSERT INTO article_sources
SELECT s.source_id, s.article_id, s.input, s.source_kind, s.site, nullif(a.pmid, ''), a.pmid_version,
       nullif(a.pmcid, ''), nullif(a.doi, ''), a.title, a.pub_year,
       CASE WHEN len(regexp_extract_all(lower(strip_accents(a.title)), '[\pL\pN]+')) >= 5
            THEN array_to_string(regexp_extract_all(lower(strip_accents(a.title)), '[\pL\pN]+'), ' ') END,
       nullif(array_to_string(regexp_extract_all(lower(strip_accents(r.first_name)), '[\pL\pN]+'), ' '), ''),
       json_merge_patch(r.record, to_json({'site': s.site, 'source_kind': s.source_kind})), '{}'
FROM sources s JOIN articles a USING (article_id) JOIN legacy_records r USING (article_id)
ORDER BY s.source_id;

-- `articles` rebuilt with the new columns filled: DuckDB refuses to update rows of a table altered in the same
-- transaction.
CREATE TABLE articles_rebuilt (
    article_id       BIGINT PRIMARY KEY DEFAULT nextval('article_id_seq'),
    site             VARCHAR NOT NULL,
    source_kind      VARCHAR NOT NULL,
    source_url       VARCHAR,
    pmid             VARCHAR,
    pmcid            VARCHAR,
    doi              VARCHAR,
    title            VARCHAR,
    abstract         VARCHAR,
    journal          VARCHAR,
    journal_abbrev   VARCHAR,
    issn             VARCHAR,
    volume           VARCHAR,
    issue            VARCHAR,
    pages            VARCHAR,
    pub_date         VARCHAR,
    pub_year         INTEGER,
    "language"       VARCHAR,
    parser           VARCHAR,
    warnings         VARCHAR[],
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    vernacular_title VARCHAR,
    pmid_version     INTEGER,
    retracted        BOOLEAN NOT NULL DEFAULT false,
    chosen_from      STRUCT(input VARCHAR, fields VARCHAR[])[]
);
INSERT INTO articles_rebuilt
SELECT a.*,
       a.article_id IN (SELECT article_id FROM publication_types
                        WHERE lower(publication_type) = 'retracted publication')
       OR a.article_id IN (SELECT article_id FROM article_links WHERE kind = 'RetractionIn')
       OR coalesce(a.pmid IN (SELECT pmid FROM article_links WHERE kind = 'RetractionOf'), false),
       [{'input': n.input, 'fields': r.filled}]
FROM articles a
JOIN legacy_records r USING (article_id)
LEFT JOIN (SELECT article_id, arg_max(input, source_id) AS input FROM sources GROUP BY ALL) n USING (article_id)
ORDER BY a.article_id;
DROP INDEX articles_pmid;
DROP INDEX articles_doi;
DROP TABLE articles;
ALTER TABLE articles_rebuilt RENAME TO articles;
CREATE INDEX articles_pmid ON articles (pmid);
CREATE INDEX articles_doi ON articles (doi);

DROP TABLE legacy_records;

CREATE VIEW article_field_sources AS
WITH entries AS (
    SELECT article_id, unnest(chosen_from) AS entry, generate_subscripts(chosen_from, 1) AS source_rank
    FROM articles
),
named AS (
    SELECT article_id, source_rank, entry.input AS input, unnest(entry.fields) AS field FROM entries
)
SELECT n.article_id, n.field, n.input, n.source_rank, s.source_id, s.source_kind, s.site,
       json_extract_string(s.provenance, '$.' || n.field) AS origin
FROM named n
LEFT JOIN article_sources s ON s.article_id = n.article_id AND s.input = n.input;
