-- Invitations from a cohort (issue 6): a practice invites the people Insight found to an offer,
-- by text message, letter or phone call, and records each answer. Only the pseudonym is kept:
-- names come back through the audited re-identification each time the list is shown. A "yes"
-- becomes a person (with their consent) and a suggested connection, named here.
CREATE TABLE invitation (
    id            TEXT PRIMARY KEY,
    pcn_id        TEXT NOT NULL REFERENCES pcn(id),
    cohort_id     TEXT NOT NULL REFERENCES insight_cohort(id),
    practice_id   TEXT NOT NULL REFERENCES practice(id),
    pseudonym     TEXT NOT NULL,
    service_id    TEXT NOT NULL REFERENCES service(id),
    channel       TEXT NOT NULL CHECK (channel IN ('text', 'letter', 'phone')),
    invited_by    TEXT NOT NULL,
    invited_at    INTEGER NOT NULL,
    answer        TEXT CHECK (answer IN ('yes', 'no', 'no_reply')),
    answered_on   TEXT,
    answered_by   TEXT,
    person_id     TEXT REFERENCES person(id),
    connection_id TEXT REFERENCES connection(id),
    UNIQUE (cohort_id, pseudonym),
    CHECK ((answer IS NULL) = (answered_on IS NULL)),
    CHECK ((answer = 'yes') = (person_id IS NOT NULL))
);
CREATE INDEX invitation_person ON invitation(person_id);
