#!/bin/sh
# Guest script of runInLab.test.ts: reports an env var it was given, leaves a file in the
# guest's /tmp, and exits with the code it was asked for.
. "$LAB_REPO/test/lab/guest/lib.sh"
[ -e /tmp/seen ] && tmp_was_fresh=false || tmp_was_fresh=true
echo "$LAB_TEST_VALUE" >/tmp/seen
lab_result "$(jq -cn --arg value "$LAB_TEST_VALUE" --argjson tmpWasFresh "$tmp_was_fresh" '{value: $value, tmpWasFresh: $tmpWasFresh}')"
exit "$LAB_TEST_EXIT"
