-- Run state kept beside the data it describes, so it commits with it: each saved search's watermark
-- (the nightly run) and each finished backfill chunk (a rerun after a crash does only what is left).

CREATE TABLE search_watermarks (
    search_name VARCHAR PRIMARY KEY,
    term        VARCHAR NOT NULL,
    watermark   DATE NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE backfill_chunks (
    term        VARCHAR NOT NULL,
    datetype    VARCHAR NOT NULL,
    chunk_start DATE NOT NULL,
    chunk_end   DATE NOT NULL,
    counted     INTEGER NOT NULL,
    loaded      INTEGER NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    PRIMARY KEY (term, datetype, chunk_start, chunk_end)
);
