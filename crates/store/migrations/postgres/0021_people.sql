-- People (issue 6): what matters to them, in their own words; a duplicate record merged into the
-- one kept (its id still leads there, its history moved across); and the person an outbox
-- message is for, so that a message still waiting when they withdraw consent is never sent.
ALTER TABLE person ADD COLUMN what_matters TEXT NOT NULL DEFAULT '';
ALTER TABLE person ADD COLUMN merged_into TEXT REFERENCES person(id);
ALTER TABLE outbox ADD COLUMN person_id TEXT REFERENCES person(id);
ALTER TABLE outbox ADD COLUMN withheld TEXT;
CREATE INDEX outbox_person ON outbox(person_id);
CREATE INDEX person_merged_into ON person(merged_into);
