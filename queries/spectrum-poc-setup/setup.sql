-- Run once before the measurements (setup-sql): statistics up to date, so
-- every run plans the queries the same way.
ANALYZE customer;
ANALYZE dwdate;
