-- Words in the directory are found through SQLite's full-text index (FTS5) rather than by reading
-- every name and description: under load a search by words scanned 10,000 services a request.
-- The index keeps its own rows, so `service_search_row` gives each service a row number that a
-- VACUUM will not change (a table's implicit rowid may change). Triggers keep both in step
-- with the service table whatever writes it. Accents are kept, as PostgreSQL's index keeps them.
CREATE TABLE service_search_row (
    row INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE service_words USING fts5(name, description, tokenize = 'unicode61 remove_diacritics 0');
INSERT INTO service_search_row (service_id) SELECT id FROM service;
INSERT INTO service_words (rowid, name, description)
    SELECT r.row, v.name, v.description FROM service_search_row r JOIN service v ON v.id = r.service_id;
CREATE TRIGGER service_words_insert AFTER INSERT ON service BEGIN
    INSERT INTO service_search_row (service_id) VALUES (new.id);
    INSERT INTO service_words (rowid, name, description)
        SELECT row, new.name, new.description FROM service_search_row WHERE service_id = new.id;
END;
CREATE TRIGGER service_words_update AFTER UPDATE OF name, description ON service BEGIN
    DELETE FROM service_words WHERE rowid = (SELECT row FROM service_search_row WHERE service_id = old.id);
    INSERT INTO service_words (rowid, name, description)
        SELECT row, new.name, new.description FROM service_search_row WHERE service_id = old.id;
END;
CREATE TRIGGER service_words_delete AFTER DELETE ON service BEGIN
    DELETE FROM service_words WHERE rowid = (SELECT row FROM service_search_row WHERE service_id = old.id);
    DELETE FROM service_search_row WHERE service_id = old.id;
END;
-- The services a search by words finds are looked up by id for their name and whether they are
-- published: from this index alone, not the table (a third of the time of such a search).
CREATE INDEX service_found ON service(id, published, name);
