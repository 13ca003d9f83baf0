-- Partition pruning plus aggregation pushed down to the scan: the clickstream
-- is rolled up to customer and month before the join, so only a few rows
-- come back to the cluster.
SELECT c.c_name, c.c_mktsegment, t.prettymonthyear, uv.revenue
FROM (
  SELECT customer, visityearmonth, SUM(adrevenue) AS revenue
  FROM spectrum.uservisits_partitioned
  WHERE customer IN (1, 2, 3)
    AND visityearmonth >= 199810
  GROUP BY customer, visityearmonth
) AS uv
JOIN customer AS c ON c.c_custkey = uv.customer
JOIN (SELECT DISTINCT d_yearmonthnum, prettymonthyear FROM dwdate) AS t ON t.d_yearmonthnum = uv.visityearmonth
ORDER BY c.c_name, c.c_mktsegment, uv.visityearmonth;
