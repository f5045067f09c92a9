-- How a person is, asked when a connection starts and at its follow-ups: the four ONS4
-- questions (0 to 10, all four or none), the ONS loneliness question, and the scores of licensed
-- instruments (never their items). `answered_by` is the audit actor of the worker who asked, or
-- `self` when the person answered on their own phone through a one-time link.
CREATE TABLE wellbeing (
    id                TEXT PRIMARY KEY,
    connection_id     TEXT NOT NULL REFERENCES connection(id),
    occasion          TEXT NOT NULL CHECK (occasion IN ('baseline', 'follow_up')),
    answered_on       TEXT NOT NULL,
    life_satisfaction INTEGER CHECK (life_satisfaction BETWEEN 0 AND 10),
    worthwhile        INTEGER CHECK (worthwhile BETWEEN 0 AND 10),
    happy             INTEGER CHECK (happy BETWEEN 0 AND 10),
    anxious           INTEGER CHECK (anxious BETWEEN 0 AND 10),
    lonely            TEXT CHECK (lonely IN ('often_or_always', 'some_of_the_time', 'occasionally', 'hardly_ever', 'never')),
    wemwbs            INTEGER CHECK (wemwbs BETWEEN 14 AND 70),
    swemwbs           INTEGER CHECK (swemwbs BETWEEN 7 AND 35),
    pam               INTEGER CHECK (pam BETWEEN 1 AND 4),
    answered_by       TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    CHECK ((life_satisfaction IS NULL) = (worthwhile IS NULL) AND (worthwhile IS NULL) = (happy IS NULL) AND (happy IS NULL) = (anxious IS NULL)),
    CHECK (life_satisfaction IS NOT NULL OR lonely IS NOT NULL OR wemwbs IS NOT NULL OR swemwbs IS NOT NULL OR pam IS NOT NULL)
);
CREATE INDEX wellbeing_connection ON wellbeing(connection_id);

-- A one-time link for the person to answer on their own phone: only a SHA-256 of the secret is
-- kept; spent when answered, refused after `expires_at`.
CREATE TABLE wellbeing_link (
    token_hash    TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connection(id),
    occasion      TEXT NOT NULL CHECK (occasion IN ('baseline', 'follow_up')),
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX wellbeing_link_connection ON wellbeing_link(connection_id);
