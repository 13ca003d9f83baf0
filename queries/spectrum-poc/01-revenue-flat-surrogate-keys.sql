-- Ad revenue of three customers over the last three months, joined on the
-- surrogate keys against the flat (unpartitioned) layout: every file is read.
SELECT c.c_name, c.c_mktsegment, t.prettymonthyear, SUM(uv.adrevenue) AS revenue
FROM spectrum.uservisits_flat AS uv
JOIN dwdate AS t ON uv.visitdate = t.d_datekey
JOIN customer AS c ON c.c_custkey = uv.custkey
WHERE c.c_custkey IN (1, 2, 3)
  AND t.d_yearmonthnum >= 199810
GROUP BY c.c_name, c.c_mktsegment, t.prettymonthyear, uv.yearmonthkey
ORDER BY c.c_name, c.c_mktsegment, uv.yearmonthkey;
