#!/usr/bin/env bash
# End-to-end timings on the generated 850K-line, 37K-host estate.
# Targets (2-core machine): cold search flow < 2 s, warm < 0.3 s, warm
# search address /24 < 0.5 s, 10,000 flows from a file < 10 s, peak RSS < 2 GB;
# diff of two 20K-rule ACL versions, lint of one, lint of the estate < 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
FWPOL=${FWPOL:-bin/fwpol}
EST=${EST:-out/bench-estate}
export FWPOL_CACHE_DIR=out/bench-cache

if [ ! -f "$EST/fwpol.yaml" ] || [ ! -f "$EST/intents.yaml" ]; then
	rm -rf "$EST"
	"$FWPOL" dev gen-estate --size large "$EST"
fi
echo "estate: $(find "$EST/configs" -type f | wc -l) files, $(cat $(find "$EST/configs" -type f) | wc -l) lines"

# measure LABEL CMD...: wall seconds and peak RSS
measure() {
	local label=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "$label: %e s, peak RSS %M KB" "$@" >/dev/null
	else
		local start=$(date +%s.%N)
		"$@" >/dev/null
		echo "$label: $(echo "$(date +%s.%N) - $start" | bc) s"
	fi
}

INV=(--inventory "$EST")
FLOW='tcp 10.2.7.7 -> 10.1.16.1:443'
rm -rf "$FWPOL_CACHE_DIR"
sync
measure "search flow, cold (parse + write cache)" "$FWPOL" search flow "$FLOW" "${INV[@]}"
measure "search flow, warm" "$FWPOL" search flow "$FLOW" "${INV[@]}"
measure "search flow, warm, -o json" "$FWPOL" search flow "$FLOW" "${INV[@]}" -o json
measure "search flow, --no-cache" "$FWPOL" search flow "$FLOW" "${INV[@]}" --no-cache
measure "search address /24, cold (parses every file, fills the cache)" "$FWPOL" search address 10.1.255.0/24 "${INV[@]}"
measure "search address /24, warm" "$FWPOL" search address 10.1.255.0/24 "${INV[@]}"

FLOWS=out/bench-flows.txt
if [ ! -f "$FLOWS" ]; then
	awk 'BEGIN { srand(7); for (i = 0; i < 10000; i++) printf "tcp 10.%d.%d.%d -> 10.%d.%d.%d:%d\n", 1+int(rand()*4), int(rand()*256), 1+int(rand()*250), 1+int(rand()*4), 16+int(rand()*37), 1+int(rand()*250), (rand() < 0.5 ? 443 : 22) }' > "$FLOWS"
fi
measure "10,000 flows from a file, warm" "$FWPOL" search flow --from-file "$FLOWS" "${INV[@]}"

# a 20,000-rule IOS ACL and a version with 50 rules changed (20 inserted,
# 15 deleted, 15 flipped): parse both, diff exactly, lint every rule
for v in sparse p64; do
	"$FWPOL" dev gen-acl --rules 20000 --variant $v >out/bench-acl-$v-old.cfg
	"$FWPOL" dev gen-acl --rules 20000 --variant $v --mutate 50 >out/bench-acl-$v-new.cfg
	measure "diff 20K-rule ACL ($v, 50 changes), --no-cache" sh -c "\"$FWPOL\" diff out/bench-acl-$v-old.cfg out/bench-acl-$v-new.cfg --no-cache; test \$? -le 1"
	measure "lint 20K-rule ACL ($v), --no-cache" sh -c "\"$FWPOL\" lint out/bench-acl-$v-old.cfg --no-cache -o json; test \$? -le 1"
done

# fwpol lint over the whole estate (exit 1 = findings exist, not a failure here)
measure "lint whole estate, warm" sh -c "\"$FWPOL\" lint ${INV[*]} -o json >/dev/null; test \$? -le 1"
# verify exits 1 when an intent is violated: a result, not a failure here
measure "verify, 200 intents, warm" sh -c "\"$FWPOL\" verify ${INV[*]} -o json >/dev/null; test \$? -le 1"
