-- The directory's other listings (services the PCN does not run): who keeps each one, why it
-- is out of the directory when it is, the verification cycle's last question, where an
-- imported one came from, and partners' proposed changes waiting for approval.

-- 'pcn': the PCN itself (its offers); 'partner': one of its partners; 'other': anyone else a
-- listing names. Every organisation so far is the PCN's own.
ALTER TABLE organization ADD COLUMN kind TEXT NOT NULL DEFAULT 'pcn';

-- The partner that keeps the listing up to date; NULL: the PCN's own team.
ALTER TABLE service ADD COLUMN owner_partner_id TEXT REFERENCES partner(id);
-- Why it is not published: 'awaiting_approval' (a partner's new listing), 'lapsed' (not
-- confirmed in time), 'staff' (taken down by the coordinator).
ALTER TABLE service ADD COLUMN unpublished_reason TEXT;
-- The due date the owner was last asked about, so each cycle asks once.
ALTER TABLE service ADD COLUMN verify_asked TEXT;
-- Where an imported listing came from: the feed and the id it has there.
ALTER TABLE service ADD COLUMN source_url TEXT;
ALTER TABLE service ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX service_source ON service(pcn_id, source_url, source_id) WHERE source_url IS NOT NULL;

CREATE TABLE listing_change (
    id          TEXT PRIMARY KEY,
    service_id  TEXT NOT NULL REFERENCES service(id),
    partner_id  TEXT NOT NULL REFERENCES partner(id),
    -- The whole listing as proposed (JSON of the checked form).
    proposed    TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    decision    TEXT CHECK (decision IN ('approved', 'declined')),
    decided_by  TEXT,
    decided_at  BIGINT,
    reason      TEXT NOT NULL DEFAULT ''
);
-- One change waits at a time: a new proposal replaces the one before.
CREATE UNIQUE INDEX listing_change_pending ON listing_change(service_id) WHERE decision IS NULL;
