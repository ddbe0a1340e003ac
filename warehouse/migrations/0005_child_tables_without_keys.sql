-- Child tables without primary keys. Their keys, (article_id, position), were ART indexes that DuckDB updates
-- row by row on every insert and keeps in memory: about 40 % of a bulk load's time and memory growing with the
-- table. The loader alone writes these tables, deleting an article's rows before writing them again, so the
-- keys guarded nothing it does not already ensure (tests/warehouse check that no (article_id, position) repeats).
-- Each table is rebuilt: DuckDB cannot drop a primary key in place.

CREATE TABLE authors_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, "last" VARCHAR, fore VARCHAR, initials VARCHAR, collective VARCHAR, orcid VARCHAR);
INSERT INTO authors_rebuilt SELECT * FROM authors ORDER BY article_id, "position";
DROP TABLE authors;
ALTER TABLE authors_rebuilt RENAME TO authors;

CREATE TABLE author_affiliations_rebuilt (article_id BIGINT NOT NULL, author_position INTEGER NOT NULL, "position" INTEGER NOT NULL, affiliation VARCHAR NOT NULL);
INSERT INTO author_affiliations_rebuilt SELECT * FROM author_affiliations ORDER BY article_id, author_position, "position";
DROP TABLE author_affiliations;
ALTER TABLE author_affiliations_rebuilt RENAME TO author_affiliations;

CREATE TABLE article_affiliations_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, affiliation VARCHAR NOT NULL);
INSERT INTO article_affiliations_rebuilt SELECT * FROM article_affiliations ORDER BY article_id, "position";
DROP TABLE article_affiliations;
ALTER TABLE article_affiliations_rebuilt RENAME TO article_affiliations;

CREATE TABLE abstract_sections_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, "label" VARCHAR, "text" VARCHAR NOT NULL);
INSERT INTO abstract_sections_rebuilt SELECT * FROM abstract_sections ORDER BY article_id, "position";
DROP TABLE abstract_sections;
ALTER TABLE abstract_sections_rebuilt RENAME TO abstract_sections;

CREATE TABLE keywords_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, keyword VARCHAR NOT NULL);
INSERT INTO keywords_rebuilt SELECT * FROM keywords ORDER BY article_id, "position";
DROP TABLE keywords;
ALTER TABLE keywords_rebuilt RENAME TO keywords;

CREATE TABLE mesh_terms_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, descriptor VARCHAR NOT NULL, major BOOLEAN NOT NULL, qualifiers VARCHAR[] NOT NULL, ui VARCHAR);
INSERT INTO mesh_terms_rebuilt SELECT * FROM mesh_terms ORDER BY article_id, "position";
DROP TABLE mesh_terms;
ALTER TABLE mesh_terms_rebuilt RENAME TO mesh_terms;

CREATE TABLE other_abstracts_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, "type" VARCHAR, "language" VARCHAR, "text" VARCHAR NOT NULL);
INSERT INTO other_abstracts_rebuilt SELECT * FROM other_abstracts ORDER BY article_id, "position";
DROP TABLE other_abstracts;
ALTER TABLE other_abstracts_rebuilt RENAME TO other_abstracts;

CREATE TABLE article_links_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, kind VARCHAR NOT NULL, pmid VARCHAR, note VARCHAR);
INSERT INTO article_links_rebuilt SELECT * FROM article_links ORDER BY article_id, "position";
DROP TABLE article_links;
ALTER TABLE article_links_rebuilt RENAME TO article_links;

CREATE TABLE publication_types_rebuilt (article_id BIGINT NOT NULL, "position" INTEGER NOT NULL, publication_type VARCHAR NOT NULL);
INSERT INTO publication_types_rebuilt SELECT * FROM publication_types ORDER BY article_id, "position";
DROP TABLE publication_types;
ALTER TABLE publication_types_rebuilt RENAME TO publication_types;
