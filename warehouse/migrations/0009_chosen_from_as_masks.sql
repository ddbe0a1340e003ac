-- `articles.chosen_from` keeps, best source first, each source's input with the fields it gave as a bit mask (bit i:
-- the i-th name of `chosen_fields`'s list, the order of the Article record's fields) instead of a list of names.
-- Twenty-odd names per article made it the costliest column to insert and checkpoint (a fifth of a bulk load's
-- database time: bench/warehouse.py); a mask is one integer. `chosen_fields(mask)` gives the names back, and the
-- view `article_field_sources` reads as before. A field added to the Article record takes the next bit, its name
-- appended to the macro's list by a later migration (tests/warehouse/test_merge.py checks the list is the code's).

CREATE MACRO chosen_fields(mask) AS
    list_filter(['site', 'source_kind', 'source_url', 'pmid', 'pmcid', 'doi', 'title', 'abstract', 'abstract_sections', 'journal', 'journal_abbrev', 'issn', 'volume', 'issue', 'pages', 'pub_date', 'pub_year', 'authors', 'affiliations', 'keywords', 'mesh_terms', 'publication_types', 'language', 'vernacular_title', 'other_abstracts', 'links', 'pmid_version', 'parser', 'warnings'],
                lambda name, i: (CAST(mask AS UBIGINT) >> (i - 1)) & 1 = 1);

CREATE MACRO chosen_mask(names) AS
    CAST(coalesce(list_sum(list_transform(names, lambda name: CAST(1 AS UBIGINT) << (list_position(
        ['site', 'source_kind', 'source_url', 'pmid', 'pmcid', 'doi', 'title', 'abstract', 'abstract_sections', 'journal', 'journal_abbrev', 'issn', 'volume', 'issue', 'pages', 'pub_date', 'pub_year', 'authors', 'affiliations', 'keywords', 'mesh_terms', 'publication_types', 'language', 'vernacular_title', 'other_abstracts', 'links', 'pmid_version', 'parser', 'warnings'], name) - 1))), 0) AS UBIGINT);

ALTER TABLE articles ALTER chosen_from SET DATA TYPE STRUCT(input VARCHAR, fields UBIGINT)[]
    USING list_transform(chosen_from, lambda e: {'input': e['input'], 'fields': chosen_mask(e['fields'])});

DROP MACRO chosen_mask;

CREATE OR REPLACE VIEW article_field_sources AS
WITH entries AS (
    SELECT article_id, unnest(chosen_from) AS entry, generate_subscripts(chosen_from, 1) AS source_rank
    FROM articles
),
named AS (
    SELECT article_id, source_rank, entry.input AS input, unnest(chosen_fields(entry.fields)) AS field FROM entries
)
SELECT n.article_id, n.field, n.input, n.source_rank, s.source_id, s.source_kind, s.site,
       json_extract_string(s.provenance, '$.' || n.field) AS origin
FROM named n
LEFT JOIN article_sources s ON s.article_id = n.article_id AND s.input = n.input;
