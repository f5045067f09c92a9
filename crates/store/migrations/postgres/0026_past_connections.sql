-- Connections a PCN made before it had Together (issue 21), brought in from its own records so
-- that the evaluation can look at that programme too. Only the pseudonym of the person's NHS
-- number is kept (no person record, no name): these people are evaluated, never contacted.
-- The offer is named as the spreadsheet named it, and linked to one of the PCN's offers when
-- the name is the same. A connection is the same when the same person was connected to the same
-- offer on the same day: importing a file again adds nothing.
CREATE TABLE past_connection (
    id            TEXT PRIMARY KEY,
    pcn_id        TEXT NOT NULL REFERENCES pcn(id),
    pseudonym     TEXT NOT NULL,
    practice_code TEXT NOT NULL,
    offer_name    TEXT NOT NULL,
    service_id    TEXT REFERENCES service(id),
    connected_on  TEXT NOT NULL,
    ended_on      TEXT,
    imported_by   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    CHECK (ended_on IS NULL OR ended_on >= connected_on),
    UNIQUE (pcn_id, pseudonym, offer_name, connected_on)
);
CREATE INDEX past_connection_pcn ON past_connection(pcn_id, connected_on);
