-- The initial normalized schema: one row per article, child tables keyed by (article_id, position),
-- and one row per loaded document in `sources`. Timestamps are UTC.
-- No foreign keys on purpose: DuckDB has no ON DELETE CASCADE and its FK checks get in the way of
-- updating an article in place, so load.py deletes child rows explicitly.

CREATE SEQUENCE article_id_seq START 1;
CREATE SEQUENCE source_id_seq START 1;

CREATE TABLE articles (
    article_id     BIGINT PRIMARY KEY DEFAULT nextval('article_id_seq'),
    site           VARCHAR NOT NULL,
    source_kind    VARCHAR NOT NULL,
    source_url     VARCHAR,
    pmid           VARCHAR,
    pmcid          VARCHAR,
    doi            VARCHAR,
    title          VARCHAR,
    abstract       VARCHAR,
    journal        VARCHAR,
    journal_abbrev VARCHAR,
    issn           VARCHAR,
    volume         VARCHAR,
    issue          VARCHAR,
    pages          VARCHAR,
    pub_date       VARCHAR,
    pub_year       INTEGER,
    language       VARCHAR,
    parser         VARCHAR,
    warnings       VARCHAR[],
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX articles_pmid ON articles (pmid);
CREATE INDEX articles_doi ON articles (doi);

CREATE TABLE authors (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    last       VARCHAR,
    fore       VARCHAR,
    initials   VARCHAR,
    collective VARCHAR,
    orcid      VARCHAR,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE author_affiliations (
    article_id      BIGINT NOT NULL,
    author_position INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    affiliation     VARCHAR NOT NULL,
    PRIMARY KEY (article_id, author_position, position)
);

CREATE TABLE article_affiliations (
    article_id  BIGINT NOT NULL,
    position    INTEGER NOT NULL,
    affiliation VARCHAR NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE abstract_sections (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    label      VARCHAR,
    text       VARCHAR NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE keywords (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    keyword    VARCHAR NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE mesh_terms (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    descriptor VARCHAR NOT NULL,
    major      BOOLEAN NOT NULL,
    qualifiers VARCHAR[] NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE publication_types (
    article_id       BIGINT NOT NULL,
    position         INTEGER NOT NULL,
    publication_type VARCHAR NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE sources (
    source_id    BIGINT PRIMARY KEY DEFAULT nextval('source_id_seq'),
    article_id   BIGINT NOT NULL,
    input        VARCHAR NOT NULL UNIQUE,
    content_hash VARCHAR NOT NULL,
    size_bytes   BIGINT NOT NULL,
    site         VARCHAR NOT NULL,
    source_kind  VARCHAR NOT NULL,
    parser       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);
CREATE INDEX sources_article_id ON sources (article_id);
