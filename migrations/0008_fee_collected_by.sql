-- The desk that took a desk payment (its device code, as in its receipt numbers): only that
-- desk refunds the fee, so two desks of one store offline from each other never both hand
-- money back (found by the sync simulation). NULL: any desk of the store (older fees, online
-- fees). Forward-only: never edit once released.
ALTER TABLE fees ADD COLUMN collected_by TEXT;
