-- The people to talk to at a partner: as many as it has (the café's owner, the Salvation Army's
-- captain and its lunch-club organiser), each with what they do there.
CREATE TABLE partner_contact (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partner(id),
    name       TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    phone      TEXT,
    email      TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX partner_contact_partner ON partner_contact(partner_id);
