-- ClinicDesk server database (postgres), version 5: a random mark on every commit.
-- Forward-only: never edit once released. Same schema on both backends.

-- Each command (one server_seq) gets a random mark. A desk's pull cursor carries the mark
-- of the seq it stopped at; a server restored from a backup numbers its new commits from
-- the backup's head again, so the seqs a desk saw before the restore now carry other marks
-- (or none) and the desk is told to take a snapshot, also when the restore kept the epoch.
-- The server's own receipt numbers (SRV-<seq>-<mark>) are unique across restores too.
-- Commands logged before this version have no mark and are not checked.
ALTER TABLE commands ADD COLUMN mark TEXT;
