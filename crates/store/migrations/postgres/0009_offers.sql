-- Offers and the directory. One `service` table in the shape of Open Referral UK 3.0 holds both
-- the PCN's own offers (offer_kind set) and every other listing; ids are UUIDs, as ORUK wants.

-- ORUK organizations: the PCN itself (partner_id NULL, for its own offers), its partners, and
-- the organisations other directories list.
CREATE TABLE organization (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    partner_id  TEXT REFERENCES partner(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    email       TEXT,
    website     TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX organization_pcn ON organization(pcn_id);
CREATE UNIQUE INDEX organization_partner ON organization(partner_id) WHERE partner_id IS NOT NULL;

CREATE TABLE taxonomy (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    uri         TEXT,
    version     TEXT
);

CREATE TABLE taxonomy_term (
    id          TEXT PRIMARY KEY,
    taxonomy_id TEXT NOT NULL REFERENCES taxonomy(id),
    parent_id   TEXT REFERENCES taxonomy_term(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    UNIQUE (taxonomy_id, code)
);

-- The categories every instance starts with (fixed ids, so feeds of different instances agree).
INSERT INTO taxonomy (id, name, description, version) VALUES
    ('8b3f823d-a2df-4251-9850-72eb545f157b', 'Together offers', 'What an offer or local service helps with, in the words people use', '1');
INSERT INTO taxonomy_term (id, taxonomy_id, code, name, description) VALUES
    ('22fab6f3-a709-4e5e-afea-c624e6c66a1f', '8b3f823d-a2df-4251-9850-72eb545f157b', 'physical_activity', 'Physical activity', 'Walking, dancing, gentle exercise and sport'),
    ('72993dbe-b21e-4de0-a45a-aac5de8353f8', '8b3f823d-a2df-4251-9850-72eb545f157b', 'social_connection', 'Meeting people', 'Groups and friendship for people who feel lonely or isolated'),
    ('e7787cfe-a668-4ea5-b5c1-6af014fb50c5', '8b3f823d-a2df-4251-9850-72eb545f157b', 'mental_wellbeing', 'Mental wellbeing', 'Support for low mood, anxiety and stress'),
    ('65714572-b277-4c18-abc1-83f7c02d12be', '8b3f823d-a2df-4251-9850-72eb545f157b', 'bereavement', 'Bereavement', 'Support after someone dies'),
    ('86618b37-ac45-4ef1-9ce6-f29b5e043c31', '8b3f823d-a2df-4251-9850-72eb545f157b', 'long_term_conditions', 'Living with a long-term condition', 'Support for people with diabetes, heart or lung conditions, cancer and more'),
    ('512576fe-79dd-4988-aa3f-d0f8ae695940', '8b3f823d-a2df-4251-9850-72eb545f157b', 'carers', 'Carers', 'Support for people who look after someone'),
    ('6b5267ff-f8c1-4b9f-a9d4-e8ee6422a43e', '8b3f823d-a2df-4251-9850-72eb545f157b', 'parents_babies', 'Parents and babies', 'Breastfeeding support, baby groups and parenting'),
    ('a4604b93-2582-4b53-b1e5-c53accb6e244', '8b3f823d-a2df-4251-9850-72eb545f157b', 'money_housing', 'Money, housing and work', 'Advice on benefits, debt, housing and work'),
    ('66d863fd-1637-4acb-9a52-66dddaf05350', '8b3f823d-a2df-4251-9850-72eb545f157b', 'food', 'Food', 'Food banks, community meals and cooking'),
    ('b0e76194-a428-4146-a165-c8a77cecef5a', '8b3f823d-a2df-4251-9850-72eb545f157b', 'arts_music', 'Arts and music', 'Singing, ukulele, crafts and creative groups'),
    ('fcf319bd-15c6-424b-a4ef-8b2942a6e245', '8b3f823d-a2df-4251-9850-72eb545f157b', 'learning', 'Learning and skills', 'Courses, digital skills and volunteering'),
    ('5bf5fc9d-27fe-48b4-8922-48dda05c3aeb', '8b3f823d-a2df-4251-9850-72eb545f157b', 'health_checks', 'Health checks', 'Blood pressure checks, flu clinics and screening'),
    ('8f9a8376-3a6e-4107-bff0-a2005d9943af', '8b3f823d-a2df-4251-9850-72eb545f157b', 'equipment', 'Equipment to borrow', 'Blood pressure monitors and other equipment on loan');

CREATE TABLE service (
    id                 TEXT PRIMARY KEY,
    pcn_id             TEXT NOT NULL REFERENCES pcn(id),
    organization_id    TEXT NOT NULL REFERENCES organization(id),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    url                TEXT,
    email              TEXT,
    phone              TEXT,
    contact_name       TEXT NOT NULL DEFAULT '',
    -- ORUK: active, inactive, defunct, temporarily closed.
    status             TEXT NOT NULL,
    fees               TEXT NOT NULL DEFAULT '',
    eligibility        TEXT NOT NULL DEFAULT '',
    minimum_age        BIGINT,
    maximum_age        BIGINT,
    accessibility      TEXT NOT NULL DEFAULT '',
    venue_id           TEXT REFERENCES venue(id),
    assured_date       TEXT,
    assurer_email      TEXT,
    published          BOOLEAN NOT NULL DEFAULT TRUE,
    last_modified      BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    -- An offer, one the PCN runs; all NULL for another listing.
    offer_kind         TEXT,
    offer_status       TEXT CHECK (offer_status IN ('planned', 'active', 'paused', 'ended')),
    capacity           BIGINT CHECK (capacity IS NULL OR capacity > 0),
    helpers_needed     BIGINT NOT NULL DEFAULT 0 CHECK (helpers_needed >= 0),
    lead_role_id       TEXT REFERENCES champion_role(id),
    lead_partner_id    TEXT REFERENCES partner(id),
    risk_assessment_id TEXT REFERENCES risk_assessment(id),
    cohort_id          TEXT,
    starts_on          TEXT,
    ends_on            TEXT,
    CHECK ((offer_kind IS NULL) = (offer_status IS NULL)),
    CHECK (minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age)
);
CREATE INDEX service_pcn ON service(pcn_id, name);
CREATE INDEX service_organization ON service(organization_id);

CREATE TABLE service_taxonomy (
    service_id TEXT NOT NULL REFERENCES service(id),
    term_id    TEXT NOT NULL REFERENCES taxonomy_term(id),
    PRIMARY KEY (service_id, term_id)
);
CREATE INDEX service_taxonomy_term ON service_taxonomy(term_id);

CREATE TABLE service_practice (
    service_id  TEXT NOT NULL REFERENCES service(id),
    practice_id TEXT NOT NULL REFERENCES practice(id),
    PRIMARY KEY (service_id, practice_id)
);

-- Champions who lead an offer (a partner lead is service.lead_partner_id).
CREATE TABLE offer_lead (
    service_id  TEXT NOT NULL REFERENCES service(id),
    champion_id TEXT NOT NULL REFERENCES champion(id),
    since       BIGINT NOT NULL,
    PRIMARY KEY (service_id, champion_id)
);
CREATE INDEX offer_lead_champion ON offer_lead(champion_id);

-- ORUK/HSDS recurrence; times are UK local "HH:MM".
CREATE TABLE schedule (
    id          TEXT PRIMARY KEY,
    service_id  TEXT NOT NULL REFERENCES service(id),
    freq        TEXT NOT NULL CHECK (freq IN ('WEEKLY', 'MONTHLY')),
    interval_n  BIGINT NOT NULL CHECK (interval_n >= 1),
    byday       TEXT NOT NULL DEFAULT '',
    bymonthday  TEXT NOT NULL DEFAULT '',
    dtstart     TEXT NOT NULL,
    valid_to    TEXT,
    opens_at    TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX schedule_service ON schedule(service_id);

-- One meeting of an offer. Generated ones keep the day the schedule put them on
-- (scheduled_on), so generating again adds nothing twice and a moved session stays moved.
CREATE TABLE offer_session (
    id           TEXT PRIMARY KEY,
    service_id   TEXT NOT NULL REFERENCES service(id),
    schedule_id  TEXT REFERENCES schedule(id),
    scheduled_on TEXT,
    on_date      TEXT NOT NULL,
    opens_at     TEXT NOT NULL,
    closes_at    TEXT NOT NULL,
    venue_id     TEXT REFERENCES venue(id),
    cancelled    BOOLEAN NOT NULL DEFAULT FALSE,
    note         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    changed_at   BIGINT NOT NULL,
    UNIQUE (schedule_id, scheduled_on)
);
CREATE INDEX offer_session_when ON offer_session(service_id, on_date);
CREATE INDEX offer_session_day ON offer_session(on_date);

-- A champion's place on a session's rota; dropping out keeps the row (dropped_at), so the
-- coordinator sees who stepped back.
CREATE TABLE rota_place (
    session_id   TEXT NOT NULL REFERENCES offer_session(id),
    champion_id  TEXT NOT NULL REFERENCES champion(id),
    signed_up_at BIGINT NOT NULL,
    dropped_at   BIGINT,
    reminded     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (session_id, champion_id)
);
CREATE INDEX rota_place_champion ON rota_place(champion_id);
