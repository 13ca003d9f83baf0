# Helpers shared by the comment renderers (jq -L <this dir> 'include "common"; ...').

# A markdown table cell: no pipes or line breaks that would end the cell or row.
def cell:
  if . == null then ""
  elif type == "number" then (if . == (. | floor) then tostring else ((. * 100 | round) / 100 | tostring) end)
  elif type == "boolean" then (if . then "yes" else "no" end)
  elif type == "string" then .
  else tojson
  end
  | gsub("\\|"; "\\|") | gsub("[\r\n]+"; " ");

# The first of several field names that is present (contracts name fields in camelCase;
# the AWS-style spellings are accepted too).
def pick($names): . as $o | [ $names[] as $k | ($o | objects | .[$k]) | select(. != null) ] | first;

def row($cells): "| " + ([ $cells[] | cell ] | join(" | ")) + " |";

def rule($n): "|" + ([ range($n) | " --- " ] | join("|")) + "|";

# The raw JSON in a collapsed block, for anything the table does not show.
def raw_json($title):
  "<details><summary>" + $title + "</summary>\n\n```json\n" + tojson + "\n```\n\n</details>";
