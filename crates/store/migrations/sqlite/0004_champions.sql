-- Champions: the roles they take with the DBS level each needs, one record per champion from
-- their expression of interest on, every step of their journey with who took it, and DBS
-- checks as records (level, dates, certificate reference, clear or not), never certificates.
-- Times are UTC seconds, dates YYYY-MM-DD text, as in the foundation.

CREATE TABLE champion_role (
    id                 TEXT PRIMARY KEY,
    pcn_id             TEXT NOT NULL REFERENCES pcn(id),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    dbs_level          TEXT NOT NULL CHECK (dbs_level IN ('none', 'basic', 'standard', 'enhanced', 'enhanced_adults', 'enhanced_children', 'enhanced_adults_children')),
    regulated_activity INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    UNIQUE (pcn_id, name)
);

CREATE TABLE champion (
    id                 TEXT PRIMARY KEY,
    pcn_id             TEXT NOT NULL REFERENCES pcn(id),
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    phone              TEXT,
    email              TEXT,
    contact_preference TEXT NOT NULL CHECK (contact_preference IN ('phone', 'text', 'email')),
    home_practice_id   TEXT REFERENCES practice(id),
    -- Keys from the form's lists, comma-separated.
    interests          TEXT NOT NULL,
    availability       TEXT NOT NULL,
    skills             TEXT NOT NULL,
    -- When they agreed to be contacted about becoming a champion (the form requires it).
    contact_consent_at INTEGER NOT NULL,
    stage              TEXT NOT NULL CHECK (stage IN ('interest', 'conversation', 'references', 'dbs_check', 'induction', 'active', 'paused', 'left')),
    -- The stage a paused champion returns to.
    paused_from        TEXT,
    stage_since        INTEGER NOT NULL,
    user_id            TEXT UNIQUE REFERENCES app_user(id),
    created_at         INTEGER NOT NULL
);
CREATE INDEX champion_pcn_stage ON champion(pcn_id, stage);

CREATE TABLE champion_step (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    champion_id TEXT NOT NULL REFERENCES champion(id),
    from_stage  TEXT,
    to_stage    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    -- The audit actor: `user:<uuid>`, `cli:<login>` or `anonymous` (the person on /join).
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX champion_step_champion ON champion_step(champion_id, id);

-- The roles a champion takes.
CREATE TABLE champion_role_holder (
    champion_id TEXT NOT NULL REFERENCES champion(id),
    role_id     TEXT NOT NULL REFERENCES champion_role(id),
    since       INTEGER NOT NULL,
    PRIMARY KEY (champion_id, role_id)
);

CREATE TABLE dbs_check (
    id                  TEXT PRIMARY KEY,
    champion_id         TEXT NOT NULL REFERENCES champion(id),
    role_id             TEXT NOT NULL REFERENCES champion_role(id),
    level               TEXT NOT NULL,
    requested_at        INTEGER NOT NULL,
    requested_by        TEXT NOT NULL,
    issued_on           TEXT,
    certificate_ref     TEXT,
    outcome             TEXT CHECK (outcome IN ('clear', 'not_clear')),
    update_service      INTEGER NOT NULL DEFAULT 0,
    last_status_check   TEXT,
    renewal_in_progress INTEGER NOT NULL DEFAULT 0,
    recorded_at         INTEGER
);
CREATE INDEX dbs_check_champion ON dbs_check(champion_id);

-- Which reminder went out for what: one per item, due date and band (60, 30, 7 days, overdue),
-- so the reminder task can run as often as it likes and still send each once.
CREATE TABLE compliance_reminder (
    pcn_id  TEXT NOT NULL REFERENCES pcn(id),
    subject TEXT NOT NULL,
    band    TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (subject, band)
);

-- Hours a champion gave, and expenses they claim, each approved or refused by a coordinator.
CREATE TABLE champion_hours (
    id          TEXT PRIMARY KEY,
    champion_id TEXT NOT NULL REFERENCES champion(id),
    on_date     TEXT NOT NULL,
    minutes     INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 960),
    activity    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason      TEXT NOT NULL DEFAULT '',
    decided_by  TEXT,
    decided_at  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX champion_hours_champion ON champion_hours(champion_id, on_date);

CREATE TABLE champion_expense (
    id              TEXT PRIMARY KEY,
    champion_id     TEXT NOT NULL REFERENCES champion(id),
    on_date         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('cost', 'mileage')),
    description     TEXT NOT NULL,
    pence           INTEGER NOT NULL CHECK (pence > 0),
    tenths_of_miles INTEGER,
    pence_per_mile  INTEGER,
    -- The receipt image's file name under the data directory's uploads/receipts (never served
    -- from a public path) and its checked type.
    receipt_file    TEXT,
    receipt_type    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason          TEXT NOT NULL DEFAULT '',
    decided_by      TEXT,
    decided_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX champion_expense_champion ON champion_expense(champion_id, on_date);

-- ID badges: a number is one badge's in the PCN, whoever holds it.
CREATE TABLE champion_badge (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    champion_id TEXT NOT NULL REFERENCES champion(id),
    number      TEXT NOT NULL,
    issued_on   TEXT NOT NULL,
    expires_on  TEXT NOT NULL,
    returned_on TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (pcn_id, number)
);

-- Training completed, with its expiry where it expires.
CREATE TABLE champion_training (
    id           TEXT PRIMARY KEY,
    champion_id  TEXT NOT NULL REFERENCES champion(id),
    module       TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    expires_on   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX champion_training_champion ON champion_training(champion_id);
