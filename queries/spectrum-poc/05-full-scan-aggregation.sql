-- A large aggregation over every customer and month of the flat layout.
SELECT uv.countrycode, COUNT(*) AS visits, SUM(uv.adrevenue) AS revenue, AVG(uv.duration) AS avg_duration
FROM spectrum.uservisits_flat AS uv
GROUP BY uv.countrycode
ORDER BY revenue DESC;
