-- Views for analysts: one row per article with its authors, keywords and MeSH terms flattened, and one row
-- per author per article. Authors are named "Last Initials" (PubMed's style), a collective by its name.
-- Lists are empty, never NULL, when an article has none; author strings are NULL when it has no authors.

CREATE VIEW article_view AS
WITH named AS (
    SELECT article_id, position,
           CASE WHEN last IS NOT NULL THEN concat_ws(' ', last, initials) ELSE coalesce(collective, fore) END AS name
    FROM authors
),
author_lists AS (
    SELECT article_id,
           string_agg(name, ', ' ORDER BY position) AS authors,
           arg_min(name, position) AS first_author,
           count(*) AS author_count
    FROM named GROUP BY article_id
),
keyword_lists AS (
    SELECT article_id, list(keyword ORDER BY position) AS keywords FROM keywords GROUP BY article_id
),
mesh_lists AS (
    SELECT article_id, list(descriptor ORDER BY position) AS mesh_terms FROM mesh_terms GROUP BY article_id
),
type_lists AS (
    SELECT article_id, list(publication_type ORDER BY position) AS publication_types
    FROM publication_types GROUP BY article_id
)
SELECT a.article_id, a.pmid, a.pmcid, a.doi, a.title, a.journal, a.journal_abbrev, a.volume, a.issue, a.pages,
       a.pub_year, a.pub_date, a.language,
       au.authors, au.first_author, coalesce(au.author_count, 0) AS author_count,
       coalesce(k.keywords, []::VARCHAR[]) AS keywords,
       coalesce(m.mesh_terms, []::VARCHAR[]) AS mesh_terms,
       coalesce(t.publication_types, []::VARCHAR[]) AS publication_types,
       a.abstract, a.site, a.source_url
FROM articles a
LEFT JOIN author_lists au USING (article_id)
LEFT JOIN keyword_lists k USING (article_id)
LEFT JOIN mesh_lists m USING (article_id)
LEFT JOIN type_lists t USING (article_id);

CREATE VIEW author_articles AS
SELECT au.article_id, au.position,
       CASE WHEN au.last IS NOT NULL THEN concat_ws(' ', au.last, au.initials)
            ELSE coalesce(au.collective, au.fore) END AS name,
       au.last, au.fore, au.initials, au.collective, au.orcid,
       a.title, a.journal, a.pub_year
FROM authors au
JOIN articles a USING (article_id);
