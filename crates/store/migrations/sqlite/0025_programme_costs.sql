-- What the programme cost, as the PCN enters it (issue 7): staff time, venues, equipment and
-- other costs over a period, set against the savings in the impact report. Champions' expenses
-- come from their claims and their time is valued apart, so neither is entered here.
CREATE TABLE programme_cost (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    category    TEXT NOT NULL CHECK (category IN ('staff_time', 'venues', 'equipment', 'other')),
    description TEXT NOT NULL,
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL,
    pence       INTEGER NOT NULL CHECK (pence > 0),
    recorded_by TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (to_date >= from_date)
);
CREATE INDEX programme_cost_pcn ON programme_cost(pcn_id, from_date);
