-- Connections: a person connected to an offer or other service in the directory, to a champion,
-- or to another person (a buddy), by a champion, link worker or clinician (`made_by`, whose
-- caseload it puts the person on). `status` is where it has got to; every step is kept with its
-- day in `connection_step`, so the evaluation knows when someone first went along. Follow-ups
-- are due on days set when it is made; one not done by its day is missed until it is done.
CREATE TABLE connection (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    person_id   TEXT NOT NULL REFERENCES person(id),
    service_id  TEXT REFERENCES service(id),
    champion_id TEXT REFERENCES champion(id),
    buddy_id    TEXT REFERENCES person(id),
    made_by     TEXT NOT NULL REFERENCES app_user(id),
    source      TEXT NOT NULL CHECK (source IN ('cohort_invitation', 'themselves', 'clinician_suggestion', 'community_event', 'other')),
    status      TEXT NOT NULL CHECK (status IN ('suggested', 'contacted', 'went_along', 'keeps_going', 'ended')),
    end_reason  TEXT,
    note        TEXT NOT NULL DEFAULT '',
    made_on     TEXT NOT NULL,
    status_on   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CHECK (num_nonnulls(service_id, champion_id, buddy_id) = 1),
    CHECK (buddy_id IS NULL OR buddy_id <> person_id),
    CHECK ((status = 'ended') = (end_reason IS NOT NULL))
);
CREATE INDEX connection_person ON connection(person_id);
CREATE INDEX connection_made_by ON connection(made_by, status);
CREATE INDEX connection_service ON connection(service_id);

CREATE TABLE connection_step (
    connection_id TEXT NOT NULL REFERENCES connection(id),
    status        TEXT NOT NULL,
    on_date       TEXT NOT NULL,
    end_reason    TEXT,
    note          TEXT NOT NULL DEFAULT '',
    -- The audit actor: `user:<uuid>`, or `register` when a register mark moved it on.
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    PRIMARY KEY (connection_id, status)
);

CREATE TABLE follow_up (
    id            TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connection(id),
    due_on        TEXT NOT NULL,
    done_on       TEXT,
    note          TEXT NOT NULL DEFAULT '',
    done_by       TEXT
);
CREATE INDEX follow_up_connection ON follow_up(connection_id);
CREATE INDEX follow_up_due ON follow_up(due_on) WHERE done_on IS NULL;
