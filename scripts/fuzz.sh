#!/usr/bin/env bash
# make fuzz: run every Fuzz* target for FUZZTIME each (bounded, for CI).
# A crash fails (Go writes the input to testdata/fuzz/). Go's coordinator
# can also stop with "context deadline exceeded" when the time budget ends
# while a worker is still minimizing an input: that is the budget, not a
# finding, so it is reported and the target is run again (up to three times).
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
status=0
for pkg in $($GO list ./...); do
	for f in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		for attempt in 1 2 3; do
			echo "fuzz $pkg $f ($FUZZTIME)"
			out=$($GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s "$pkg" 2>&1)
			rc=$?
			echo "$out" | tail -4
			if [ $rc -eq 0 ]; then
				break
			fi
			if echo "$out" | grep -q "Failing input written" || ! echo "$out" | grep -q "context deadline exceeded"; then
				echo "FAIL: $pkg $f" >&2
				status=1
				break
			fi
			echo "note: $f hit the time budget while minimizing; running it again" >&2
			[ $attempt -eq 3 ] && { echo "FAIL: $pkg $f did not finish within its budget three times" >&2; status=1; }
		done
	done
done
exit $status
