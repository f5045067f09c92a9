-- Saved cohorts: a named definition (practices, window, age, sex, conditions, counts, last seen)
-- that Insight evaluates afresh each time over the active imports. Members are never stored:
-- they are pseudonyms worked out when asked, and names only through the audited patient index.
CREATE TABLE insight_cohort (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX insight_cohort_name ON insight_cohort(pcn_id, name) WHERE NOT deleted;
