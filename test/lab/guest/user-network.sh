#!/bin/sh
# Guest script of runInLab.test.ts: fetches from a server on the host's loopback through
# qemu's user network (the host is 10.0.2.2).
. "$LAB_REPO/test/lab/guest/lib.sh"
lab_result_cmd fetch curl -sS -m 20 "http://10.0.2.2:$LAB_TEST_PORT/"
