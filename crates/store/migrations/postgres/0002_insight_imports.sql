-- Insight imports: one row per file imported into the Parquet datasets. The rows themselves live
-- in DIR/insight/<dataset>/practice=<ODS>/import=<id>/; this record is committed last, so a
-- partition without a record is an unfinished import and is swept away at start-up.
CREATE TABLE insight_import (
    id            TEXT PRIMARY KEY,
    pcn_id        TEXT NOT NULL REFERENCES pcn(id),
    dataset       TEXT NOT NULL CHECK (dataset IN ('registrations', 'appointments', 'conditions', 'ae_attendances')),
    source        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    practices     TEXT NOT NULL,
    period_from   TEXT,
    period_to     TEXT,
    rows_read     BIGINT NOT NULL,
    rows_imported BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    imported_by   TEXT NOT NULL,
    imported_at   BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'deleted', 'replaced')),
    replaces      TEXT REFERENCES insight_import(id)
);
CREATE INDEX insight_import_pcn ON insight_import(pcn_id, dataset);
-- The same file is imported once per dataset: re-importing it changes nothing.
CREATE UNIQUE INDEX insight_import_once ON insight_import(pcn_id, dataset, file_sha256) WHERE status = 'active';
