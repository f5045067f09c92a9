-- A link worker's referral: someone asked the social prescribing service to see a person. Its
-- own record, received and then accepted or declined once; what the practice codes in the GP
-- record (SNOMED CT) follows from `status`, and connections are never coded.
CREATE TABLE referral (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    person_id   TEXT NOT NULL REFERENCES person(id),
    referrer    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    received_on TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'declined')),
    decided_on  TEXT,
    decided_by  TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    CHECK ((status = 'received') = (decided_on IS NULL)),
    CHECK (decided_on IS NULL OR decided_on >= received_on)
);
CREATE INDEX referral_person ON referral(person_id);
