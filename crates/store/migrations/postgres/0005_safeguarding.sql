-- Safeguarding concerns, incidents and accidents, for the PCN's named safeguarding lead only
-- (the lead is a programme setting), with the follow-up the lead records.

CREATE TABLE safeguarding_report (
    id           TEXT PRIMARY KEY,
    pcn_id       TEXT NOT NULL REFERENCES pcn(id),
    kind         TEXT NOT NULL CHECK (kind IN ('safeguarding', 'incident', 'accident')),
    what         TEXT NOT NULL,
    happened     TEXT NOT NULL DEFAULT '',
    place        TEXT NOT NULL DEFAULT '',
    people       TEXT NOT NULL DEFAULT '',
    action_taken TEXT NOT NULL DEFAULT '',
    raised_by    TEXT NOT NULL REFERENCES app_user(id),
    raised_at    BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at    BIGINT
);
CREATE INDEX safeguarding_report_pcn ON safeguarding_report(pcn_id, status);

CREATE TABLE safeguarding_followup (
    id        BIGSERIAL PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES safeguarding_report(id),
    note      TEXT NOT NULL,
    by_user   TEXT NOT NULL REFERENCES app_user(id),
    at        BIGINT NOT NULL
);
CREATE INDEX safeguarding_followup_report ON safeguarding_followup(report_id, id);
