-- Hours and expenses can be for one offer (or, as before, general), so that the totals show
-- what each offer costs and how much time was gifted to it.
ALTER TABLE champion_hours ADD COLUMN service_id TEXT REFERENCES service(id);
ALTER TABLE champion_expense ADD COLUMN service_id TEXT REFERENCES service(id);
