-- Risk assessments of a champion role or a venue (offers will have theirs too), each with the
-- date it is next reviewed; and each champion's emergency contacts.

CREATE TABLE risk_assessment (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    role_id     TEXT REFERENCES champion_role(id),
    venue_id    TEXT REFERENCES venue(id),
    title       TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    review_on   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK ((role_id IS NULL) <> (venue_id IS NULL))
);
CREATE INDEX risk_assessment_pcn ON risk_assessment(pcn_id, review_on);

CREATE TABLE champion_emergency_contact (
    id           TEXT PRIMARY KEY,
    champion_id  TEXT NOT NULL REFERENCES champion(id),
    name         TEXT NOT NULL,
    relationship TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX champion_emergency_contact_champion ON champion_emergency_contact(champion_id);
