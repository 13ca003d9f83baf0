# Renders verify-failover's `report` as a table of checks and their results.
include "common";

def checks:
  if type == "array" then .
  elif type == "object" and (pick(["checks", "rows", "results"]) | type) == "array" then pick(["checks", "rows", "results"])
  else [] end;

def verdict:
  (pick(["passed", "ok", "pass"])) as $b
  | if $b == true then "pass" elif $b == false then "**FAIL**"
    else (pick(["status", "result", "verdict"]) // "") end;

checks as $checks
| if ($checks | length) == 0 then raw_json("Report")
  else
    row(["Check", "Subject", "Result", "Detail"]),
    rule(4),
    ($checks[] | row([pick(["name", "check", "title", "id"]), pick(["subject", "region"]), verdict, pick(["detail", "details", "message", "reason"])])),
    "",
    raw_json("Full report")
  end
