-- Fields PubMed XML brings: the vernacular title, the PMID's version, MeSH descriptor UIs, abstracts
-- beside the main one, links between articles (errata, retractions, comments), and deleted PMIDs.

ALTER TABLE articles ADD COLUMN vernacular_title VARCHAR;
ALTER TABLE articles ADD COLUMN pmid_version INTEGER;
ALTER TABLE mesh_terms ADD COLUMN ui VARCHAR;

CREATE TABLE other_abstracts (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    type       VARCHAR,
    language   VARCHAR,
    text       VARCHAR NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE article_links (
    article_id BIGINT NOT NULL,
    position   INTEGER NOT NULL,
    kind       VARCHAR NOT NULL,
    pmid       VARCHAR,
    note       VARCHAR,
    PRIMARY KEY (article_id, position)
);

-- PMIDs that PubMed deleted (DeleteCitation): their articles are removed, the PMID and the file that
-- deleted it are remembered.
CREATE TABLE deleted_pmids (
    pmid       VARCHAR PRIMARY KEY,
    deleted_at TIMESTAMP NOT NULL,
    input      VARCHAR
);
