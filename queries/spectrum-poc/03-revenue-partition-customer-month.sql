-- Both partition columns in the filter (customer and year-month): only the
-- nine customer-month partitions that hold the answer are read.
SELECT c.c_name, c.c_mktsegment, t.prettymonthyear, SUM(uv.adrevenue) AS revenue
FROM spectrum.uservisits_partitioned AS uv
JOIN dwdate AS t ON uv.visitdate = t.d_datekey
JOIN customer AS c ON c.c_custkey = uv.customer
WHERE uv.customer IN (1, 2, 3)
  AND uv.visityearmonth >= 199810
GROUP BY c.c_name, c.c_mktsegment, t.prettymonthyear, uv.visityearmonth
ORDER BY c.c_name, c.c_mktsegment, uv.visityearmonth;
