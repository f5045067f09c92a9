-- Health pledges (issue 6): what someone will do for their health, in their words, counted by
-- practice and theme. How to reach them is kept only when they asked for a champion; the wall
-- shows a pledge, without a name, only when they agreed and the coordinator has checked it.
CREATE TABLE pledge (
    id          TEXT PRIMARY KEY,
    pcn_id      TEXT NOT NULL REFERENCES pcn(id),
    goal        TEXT NOT NULL,
    theme       TEXT NOT NULL,
    practice_id TEXT REFERENCES practice(id),
    place       TEXT NOT NULL CHECK (place IN ('online', 'community_stall', 'waiting_room')),
    given_name  TEXT,
    phone       TEXT,
    email       TEXT,
    wants_champion BOOLEAN NOT NULL,
    wall        TEXT NOT NULL CHECK (wall IN ('not_asked', 'waiting', 'shown', 'kept_off')),
    champion_id TEXT REFERENCES champion(id),
    made_at     INTEGER NOT NULL,
    CHECK (wants_champion OR (given_name IS NULL AND phone IS NULL AND email IS NULL))
);
CREATE INDEX pledge_pcn ON pledge(pcn_id, made_at);
