#!/bin/sh
# Guest script of runInLab.test.ts: never finishes, so the run must time out.
echo "hanging"
exec tail -f /dev/null
