-- Erasing a person (issue 6): their details go, what the reports count stays. The day it was
-- done marks the record, which search no longer finds.
ALTER TABLE person ADD COLUMN erased_at INTEGER;
