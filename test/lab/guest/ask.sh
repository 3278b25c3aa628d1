#!/bin/sh
# Guest script of runInLab.test.ts: asks the host (lab_ask) while it runs, and reports the answers.
. "$LAB_REPO/test/lab/guest/lib.sh"
first=$(lab_ask double '{"n":21}') || exit 1
second=$(lab_ask double "{\"n\":$(printf '%s' "$first" | jq .n)}") || exit 1
lab_ask nonsense '{}' 2>/tmp/err.txt && exit 1
lab_result "$(jq -cn --argjson first "$first" --argjson second "$second" --arg err "$(cat /tmp/err.txt)" '{name: "asks", first: $first, second: $second, unknownError: $err}')"
