-- Registers: who came to a session (first name and initial, as a lead sees them) and how many
-- others. Saving a register replaces the whole of it, so a phone that sends it again after a
-- dropped connection changes nothing.

CREATE TABLE session_register (
    session_id TEXT PRIMARY KEY REFERENCES offer_session(id),
    others     INTEGER NOT NULL DEFAULT 0 CHECK (others >= 0),
    -- The audit actor who last saved it.
    taken_by   TEXT NOT NULL,
    taken_at   INTEGER NOT NULL
);

CREATE TABLE register_mark (
    session_id TEXT NOT NULL REFERENCES offer_session(id),
    label      TEXT NOT NULL,
    PRIMARY KEY (session_id, label)
);
