-- 0014: leases. An ask may name its driver (client_id) and a lease in
-- seconds; lease_until is when the sample's lease runs out (extended by
-- the driver's later asks, tells and POST /leases); a pending sample past
-- it expires as the run's pending_expiry says (failed, or lost and
-- handed out again).
ALTER TABLE samples ADD COLUMN client_id TEXT;
ALTER TABLE samples ADD COLUMN lease_s REAL;
ALTER TABLE samples ADD COLUMN lease_until TEXT;
CREATE INDEX samples_by_client ON samples (run_id, client_id, status)
    WHERE client_id IS NOT NULL;
