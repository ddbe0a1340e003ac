-- `articles` and `sources` without ART indexes, like the child tables (0005). DuckDB keeps an ART index in memory
-- and updates it row by row on every insert and update: five of them (the two primary keys, `sources.input`
-- UNIQUE, the lookups on articles.pmid, articles.doi and sources.article_id) cost a bulk load a tenth of its time,
-- and for a full PubMed baseline (tens of millions of rows) gigabytes of memory. None served a query: the loader
-- matches through hash joins on `article_sources` (warehouse/bulk.py), and an analyst's `WHERE pmid = '...'` is
-- a scan that row-group min/max statistics keep short. The loader alone gives ids and files inputs, one writer at
-- a time (warehouse/access.py); tests/warehouse check that no article id, source id or input repeats.
-- Each table is rebuilt: DuckDB cannot drop a primary key or a UNIQUE constraint in place.

CREATE TABLE articles_rebuilt (
    article_id       BIGINT NOT NULL DEFAULT nextval('article_id_seq'),
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
INSERT INTO articles_rebuilt SELECT * FROM articles ORDER BY article_id;
DROP INDEX articles_pmid;
DROP INDEX articles_doi;
DROP TABLE articles;
ALTER TABLE articles_rebuilt RENAME TO articles;

CREATE TABLE sources_rebuilt (
    source_id    BIGINT NOT NULL DEFAULT nextval('source_id_seq'),
    article_id   BIGINT NOT NULL,
    input        VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    size_bytes   BIGINT NOT NULL,
    site         VARCHAR NOT NULL,
    source_kind  VARCHAR NOT NULL,
    parser       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);
INSERT INTO sources_rebuilt SELECT * FROM sources ORDER BY source_id;
DROP INDEX sources_article_id;
DROP TABLE sources;
ALTER TABLE sources_rebuilt RENAME TO sources;
