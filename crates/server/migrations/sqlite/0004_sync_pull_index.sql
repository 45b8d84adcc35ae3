-- ClinicDesk server database (sqlite), version 4: the index a sync pull pages on.
-- Forward-only: never edit once released. Same schema on both backends.

-- A pull reads one chain's rows in (server_seq, kind, id) order strictly after a cursor
-- (a keyset: "(server_seq, kind, id) > ($seq, $kind, $id) ORDER BY server_seq, kind, id
-- LIMIT n"), keeping the chain's shared rows and the desk's store's. With the whole key in
-- the index a page starts at the cursor (a snapshot's rows all at server_seq 0 included)
-- and stops after n rows, and store_id lets it skip other stores' rows without reading
-- them. It starts with (tenant_id, server_seq), so it replaces entities_by_tenant_seq.
CREATE INDEX entities_sync_order ON entities (tenant_id, server_seq, kind, id, store_id);
DROP INDEX entities_by_tenant_seq;
