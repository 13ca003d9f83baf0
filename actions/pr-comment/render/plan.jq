# Renders deploy-multi-region's `results` (plan-only) as a markdown table per region,
# with each region's resource changes in a collapsed block.
include "common";

def changes: (pick(["changes", "Changes"]) // []) | if type == "array" then . else [] end;
def change_action: (pick(["action", "Action"]) // "") | tostring | ascii_downcase;
def replaces: (pick(["replacement", "Replacement"]) // false) | tostring | ascii_downcase | . == "true" or . == "conditional";

(if type == "array" then . else [] end) as $regions
| row(["Region", "Status", "Add", "Modify", "Remove", "Replacement"]),
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
            pick(["logicalId", "logicalResourceId", "LogicalResourceId"]),
            pick(["resourceType", "type", "ResourceType"]),
            pick(["replacement", "Replacement"])
          ])),
      "",
      "</details>")
