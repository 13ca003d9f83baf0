# Renders spectrum-benchmark's `report` as a table per query: median, p95, spread,
# change against the baseline, significance and the verdict; then the plan changes,
# the scans grown past max-scan-growth and the scan findings.
include "common";

def queries:
  if type == "array" then .
  elif type == "object" and (pick(["queries", "results"]) | type) == "array" then pick(["queries", "results"])
  elif type == "object" and (pick(["queries"]) | type) == "object" then (.queries | to_entries | map(.value + {name: .key}))
  else [] end;

def ms($v): if $v == null then null elif ($v | type) == "number" then (($v * 10 | round) / 10 | tostring) + " ms" else $v end;
def pct($v): if $v == null then null elif ($v | type) == "number" then (if $v > 0 then "+" else "" end) + (($v * 10 | round) / 10 | tostring) + "%" else $v end;

# `change` is a fraction (0.25 = 25 % slower); `changePercent` is already in percent.
def change_pct:
  if pick(["changePercent"]) != null then pick(["changePercent"])
  elif (pick(["change"]) | type) == "number" then pick(["change"]) * 100
  else null end;

. as $report
| queries as $q
| if ($q | length) == 0 then raw_json("Report")
  else
    row(["Query", "Median", "p95", "Spread (MAD)", "Baseline median", "Change", "p-value", "Verdict"]),
    rule(8),
    ($q[]
      | (pick(["stats", "current"]) // .) as $s
      | row([
          pick(["name", "query"]),
          ms($s | pick(["medianMs", "median"])),
          ms($s | pick(["p95Ms", "p95"])),
          ms($s | pick(["madMs", "mad", "spread"])),
          ms(pick(["baselineMedianMs", "baselineMedian"]) // (pick(["baseline"]) | pick(["medianMs", "median"]))),
          pct(change_pct),
          pick(["pValue"]),
          pick(["verdict", "status"])
        ])),
    ( ($report | objects | .planChanges // []) as $p
      | if ($p | length) > 0 then
          "",
          "**Plan changes**",
          "",
          # A plan's filters hold the query's literals: no HTML tag opens and no one is mentioned.
          ($p[] | "- " + ((pick(["query"]) // "") | cell) + ": "
            + ((pick(["description"]) // tojson) | cell | gsub("<"; "&lt;") | gsub(">"; "&gt;") | gsub("@"; "@\u200b")))
        else empty end ),
    ( ($report | objects | .scanGrowth // []) as $g
      | if ($g | length) > 0 then
          "",
          "**Scans grown past max-scan-growth**",
          "",
          ($g[] | "- " + ((pick(["query"]) // "") | cell) + ": " + ((pick(["message"]) // tojson) | cell))
        else empty end ),
    ( ($report | objects | .findings // []) as $f
      | if ($f | length) > 0 then
          "",
          "**Scan findings**",
          "",
          ($f[] | "- " + ((pick(["query"]) // "") | cell) + ": " + ((pick(["message"]) // tojson) | cell))
        else empty end ),
    "",
    raw_json("Full report")
  end
