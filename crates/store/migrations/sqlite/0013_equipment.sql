-- Equipment loans: the items the PCN lends (blood-pressure monitors first), their cleaning
-- log, loans to a person, and the home readings brought back. An item is on at most one open
-- loan (the partial unique index), and readings belong to the person, for their clinician.

CREATE TABLE equipment_item (
    id         TEXT PRIMARY KEY,
    pcn_id     TEXT NOT NULL REFERENCES pcn(id),
    -- The equipment-loan offer it is lent through, whose leads handle its loans.
    service_id TEXT REFERENCES service(id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    serial     TEXT NOT NULL,
    condition  TEXT NOT NULL,
    notes      TEXT NOT NULL DEFAULT '',
    added_at   INTEGER NOT NULL,
    UNIQUE (pcn_id, serial)
);

CREATE TABLE equipment_cleaning (
    id         TEXT PRIMARY KEY,
    item_id    TEXT NOT NULL REFERENCES equipment_item(id),
    cleaned_on TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    -- The audit actor who recorded it.
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX equipment_cleaning_item ON equipment_cleaning(item_id, cleaned_on);

CREATE TABLE equipment_loan (
    id            TEXT PRIMARY KEY,
    pcn_id        TEXT NOT NULL REFERENCES pcn(id),
    item_id       TEXT NOT NULL REFERENCES equipment_item(id),
    person_id     TEXT NOT NULL REFERENCES person(id),
    lent_on       TEXT NOT NULL,
    due_on        TEXT NOT NULL,
    -- The champion who takes it to the person and brings it back (in their subject access).
    champion_id   TEXT REFERENCES champion(id),
    lent_by       TEXT NOT NULL,
    returned_on   TEXT,
    return_condition TEXT,
    returned_by   TEXT,
    -- The last day an overdue reminder went out.
    reminded_on   TEXT,
    created_at    INTEGER NOT NULL,
    CHECK (due_on > lent_on)
);
CREATE UNIQUE INDEX equipment_loan_open ON equipment_loan(item_id) WHERE returned_on IS NULL;
CREATE INDEX equipment_loan_person ON equipment_loan(person_id);

CREATE TABLE bp_reading (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    person_id   TEXT NOT NULL REFERENCES person(id),
    loan_id     TEXT REFERENCES equipment_loan(id),
    -- Its place among the readings of one return.
    position    INTEGER NOT NULL,
    systolic    INTEGER NOT NULL CHECK (systolic BETWEEN 60 AND 260),
    diastolic   INTEGER NOT NULL CHECK (diastolic BETWEEN 30 AND 160 AND diastolic < systolic),
    pulse       INTEGER CHECK (pulse BETWEEN 30 AND 220),
    -- Set when this row is an average of that many readings, not one reading.
    average_of  INTEGER CHECK (average_of >= 2),
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX bp_reading_person ON bp_reading(person_id);
