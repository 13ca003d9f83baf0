# Renders deploy-multi-region's `results` (plan-only) as a markdown table per region,
# with each region's resource changes in a collapsed block.
include "common";

def changes: (pick(["changes", "Changes"]) // []) | if type == "array" then . else [] end;
def change_action: (pick(["action", "Action"]) // "") | tostring | ascii_downcase;
def replaces: (pick(["replacement", "Replacement"]) // false) | tostring | ascii_downcase | . == "true" or . == "conditional";

def guard_mark: if . == "blocked" then "⛔ blocked" else "⚠️ allowed" end;
def guarded_change: if change_action == "remove" then "Remove" else "Replacement " + (pick(["replacement", "Replacement"]) | tostring) end;
def name: ((.nestedPath // []) + [pick(["logicalId", "logicalResourceId", "LogicalResourceId"])]) | map(tostring) | join("/");

(if type == "array" then . else [] end) as $regions
# Changes that replace or remove a stateful resource come first, marked with the guard's verdict.
| [ $regions[] | pick(["region", "Region"]) as $region | changes[] | select(.guard != null) | . + { region: $region } ] as $guarded
| (if ($guarded | length) > 0 then
    "**Replaces or removes stateful resources** (a blocked one fails its region before anything is executed; `allow-replacement` names the intended ones)",
    "",
    row(["Guard", "Region", "Logical id", "Type", "Change"]),
    rule(5),
    ($guarded[] | row([(.guard | guard_mark), .region, name, pick(["resourceType", "type", "ResourceType"]), guarded_change])),
    ""
  else empty end),
  row(["Region", "Status", "Add", "Modify", "Remove", "Replacement"]),
  rule(6),
  ($regions[]
    | changes as $c
    | row([
        pick(["region", "Region"]),
        (pick(["status"]) // "") + (if pick(["reason"]) then " (" + (pick(["reason"]) | tostring) + ")" else "" end),
        ([ $c[] | select(change_action == "add") ] | length),
        ([ $c[] | select(change_action == "modify") ] | length),
        ([ $c[] | select(change_action == "remove") ] | length),
        ([ $c[] | select(replaces) ] | length)
      ])),
  ($regions[]
    | select((changes | length) > 0)
    | pick(["region", "Region"]) as $region
    | "",
      "<details><summary>" + ($region | cell) + ": " + (changes | length | tostring) + " change(s)</summary>",
      "",
      row(["Action", "Logical id", "Type", "Replacement"]),
      rule(4),
      (changes[]
        | row([
            pick(["action", "Action"]),
            name,
            pick(["resourceType", "type", "ResourceType"]),
            ((pick(["replacement", "Replacement"]) // "") | tostring) + (if .guard then " " + (.guard | guard_mark) else "" end)
          ])),
      "",
      "</details>")
