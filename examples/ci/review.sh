#!/usr/bin/env sh
# Merge-request review for a firewall-config repository: what the change does
# to traffic, which new rules are dead or dangerous, and whether the team's
# standing intents still hold. Needs only the fwpol binary and git history.
#
#   BASE   the revision the change is compared with (e.g. origin/main)
#   FWPOL  the fwpol binary (default: fwpol on PATH)
set -u
FWPOL=${FWPOL:-fwpol}
BASE=${BASE:?set BASE to the target branch, e.g. origin/main}
status=0

echo "== traffic change against $BASE"
# Exit 1 only when traffic is newly permitted; newly denied traffic is shown
# but does not fail the review. 2 is an error.
"$FWPOL" diff "$BASE" --fail-on permit --no-cache
rc=$?; [ $rc -ne 0 ] && status=1
[ $rc -ge 2 ] && echo "fwpol diff failed" >&2

echo "== lint (new findings)"
# Annotations for what the change adds; fail when it adds a warning or an
# error (a dead permit, a conflicting shadow, an undefined object...).
# Findings the base already had are not repeated.
"$FWPOL" lint --new-since "$BASE" --fail-on warning -o github
rc=$?; [ $rc -ne 0 ] && status=1

echo "== intents"
"$FWPOL" verify --changed-since "$BASE" -o github
rc=$?; [ $rc -ne 0 ] && status=1

exit $status
