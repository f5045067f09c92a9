-- Workshops for champions (the induction, safeguarding training) with who is booked and who
-- came; attending a workshop of a training module records that training.

CREATE TABLE champion_workshop (
    id         TEXT PRIMARY KEY,
    pcn_id     TEXT NOT NULL REFERENCES pcn(id),
    title      TEXT NOT NULL,
    module     TEXT,
    on_date    TEXT NOT NULL,
    starts     TEXT NOT NULL DEFAULT '',
    venue_id   TEXT REFERENCES venue(id),
    capacity   INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX champion_workshop_pcn ON champion_workshop(pcn_id, on_date);

CREATE TABLE workshop_attendance (
    workshop_id TEXT NOT NULL REFERENCES champion_workshop(id),
    champion_id TEXT NOT NULL REFERENCES champion(id),
    status      TEXT NOT NULL CHECK (status IN ('booked', 'attended', 'absent')),
    PRIMARY KEY (workshop_id, champion_id)
);
