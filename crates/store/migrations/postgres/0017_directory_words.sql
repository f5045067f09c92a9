-- Words in the directory are found through a full-text index (a tsvector kept by the database,
-- with a GIN index) rather than by reading every name and description: under load a search by
-- words scanned 10,000 services a request. The 'simple' configuration splits words without
-- stemming, as SQLite's FTS5 index does, so a search means the same on both backends.
ALTER TABLE service ADD COLUMN words tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED;
CREATE INDEX service_words ON service USING GIN (words);
