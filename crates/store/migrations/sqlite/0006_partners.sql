-- Community partners: organisations, the venues they (or the PCN) provide, their agreements
-- and insurance as dated records (never copies of the documents), and the partner users who
-- keep their own organisation's details up to date.

CREATE TABLE partner (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    phone       TEXT,
    email       TEXT,
    website     TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (pcn_id, name)
);

CREATE TABLE venue (
    id            TEXT PRIMARY KEY,
    pcn_id        TEXT NOT NULL REFERENCES pcn(id),
    -- NULL: one of the PCN's own.
    partner_id    TEXT REFERENCES partner(id),
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    postcode      TEXT NOT NULL,
    accessibility TEXT NOT NULL DEFAULT '',
    capacity      INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX venue_pcn ON venue(pcn_id);

-- Agreements (due for review) and insurance (due to expire); partner NULL: the PCN's own, such
-- as the policy covering its volunteers.
CREATE TABLE partner_document (
    id         TEXT PRIMARY KEY,
    pcn_id     TEXT NOT NULL REFERENCES pcn(id),
    partner_id TEXT REFERENCES partner(id),
    kind       TEXT NOT NULL CHECK (kind IN ('agreement', 'insurance')),
    title      TEXT NOT NULL,
    reference  TEXT NOT NULL DEFAULT '',
    from_on    TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX partner_document_pcn ON partner_document(pcn_id, due_on);

CREATE TABLE partner_user (
    user_id    TEXT PRIMARY KEY REFERENCES app_user(id),
    partner_id TEXT NOT NULL REFERENCES partner(id)
);
