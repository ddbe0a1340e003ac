-- The matching keys of the sources without a PMID (publisher pages, text copies), beside their article_sources rows.
-- A record with a PMID can join another article only by that PMID, or by the DOI, PMCID or title of an article that
-- has no PMID at all (warehouse/merge.py): a batch of PubMed records looks those up here, among pages and text
-- copies, instead of in every source's DOI, PMCID and title key. Those columns do not follow load order, so no
-- row-group statistics prune them: in a warehouse of tens of millions of PubMed records each batch would scan them
-- all (0.4 s per batch of 5,000 DOIs at 10 million rows, growing with the table). A PMID, an input (file#PMID) and
-- an article id do follow load order, and their lookups stay short. The loader writes both tables together
-- (warehouse/bulk.py, `_write_sources`); no keys or indexes (see 0005).

CREATE TABLE pmidless_keys (
    source_id  BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    doi        VARCHAR,
    pmcid      VARCHAR,
    title_key  VARCHAR,
    pub_year   INTEGER
);
INSERT INTO pmidless_keys
SELECT source_id, article_id, doi, pmcid, title_key, pub_year FROM article_sources WHERE pmid IS NULL ORDER BY source_id;
