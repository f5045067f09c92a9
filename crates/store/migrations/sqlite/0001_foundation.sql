-- Foundation: organisations, users, sessions, audit, outbox, settings and people.
-- Times are UTC seconds since 1970 (INTEGER), identifiers are UUID text, dates are YYYY-MM-DD text:
-- the same representation as the PostgreSQL schema, so one set of queries serves both.

CREATE TABLE instance_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE pcn (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    ods_code   TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE practice (
    id                  TEXT PRIMARY KEY,
    pcn_id              TEXT NOT NULL REFERENCES pcn(id),
    ods_code            TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    data_sharing_agreed INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
);
CREATE INDEX practice_pcn ON practice(pcn_id);

CREATE TABLE site (
    id          TEXT PRIMARY KEY,
    practice_id TEXT NOT NULL REFERENCES practice(id),
    name        TEXT NOT NULL,
    address     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE app_user (
    id              TEXT PRIMARY KEY,
    pcn_id          TEXT NOT NULL REFERENCES pcn(id),
    email           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash   TEXT,
    totp_secret     TEXT,
    totp_last_step  INTEGER,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL
);

-- One assignment per user for now; the table is separate so that more can follow.
CREATE TABLE role_assignment (
    user_id     TEXT PRIMARY KEY REFERENCES app_user(id),
    role        TEXT NOT NULL CHECK (role IN ('pcn_admin', 'clinician', 'link_worker', 'analyst', 'champion', 'partner')),
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    practice_id TEXT REFERENCES practice(id)
);

CREATE TABLE recovery_code (
    user_id   TEXT NOT NULL REFERENCES app_user(id),
    code_hash TEXT NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Single-use links (enrolment, password reset) and API tokens: only a SHA-256 of the secret is kept.
CREATE TABLE user_token (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES app_user(id),
    kind       TEXT NOT NULL CHECK (kind IN ('enrol', 'reset', 'api')),
    label      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX user_token_user ON user_token(user_id);

CREATE TABLE user_session (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES app_user(id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    mfa_done     INTEGER NOT NULL DEFAULT 0,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session(user_id);

-- Append-only. No names or contact details: subjects are ids or pseudonyms.
CREATE TABLE audit_event (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    pcn_id        TEXT,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    outcome       TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'break_glass', 'failed')),
    reason        TEXT,
    request_id    TEXT,
    ip            TEXT
);
CREATE INDEX audit_event_resource ON audit_event(resource_type, resource_id);
CREATE INDEX audit_event_pcn_at ON audit_event(pcn_id, at);
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    pcn_id       TEXT REFERENCES pcn(id),
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    adapter      TEXT
);

CREATE TABLE programme_setting (
    pcn_id     TEXT NOT NULL REFERENCES pcn(id),
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (pcn_id, key)
);

CREATE TABLE person (
    id                 TEXT PRIMARY KEY,
    pcn_id             TEXT NOT NULL REFERENCES pcn(id),
    practice_id        TEXT NOT NULL REFERENCES practice(id),
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    date_of_birth      TEXT NOT NULL,
    contact_preference TEXT NOT NULL,
    phone              TEXT,
    email              TEXT,
    pseudonym          TEXT,
    created_at         INTEGER NOT NULL,
    created_by         TEXT NOT NULL
);
CREATE INDEX person_pcn ON person(pcn_id);
CREATE INDEX person_pseudonym ON person(pseudonym);

-- Who has a person on their caseload (an open connection or referral with them).
CREATE TABLE caseload (
    person_id TEXT NOT NULL REFERENCES person(id),
    user_id   TEXT NOT NULL REFERENCES app_user(id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    PRIMARY KEY (person_id, user_id)
);

CREATE TABLE consent (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES person(id),
    purpose      TEXT NOT NULL,
    method       TEXT NOT NULL,
    given_at     INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL,
    withdrawn_at INTEGER,
    withdrawn_by TEXT
);
CREATE INDEX consent_person ON consent(person_id);
