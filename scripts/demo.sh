#!/usr/bin/env bash
# make demo: generate a small four-site estate (every vendor, with an
# inventory) and run the searches a newcomer would try first.
set -euo pipefail
cd "$(dirname "$0")/.."
FWPOL=${FWPOL:-bin/fwpol}
DEMO=out/demo
export FWPOL_CACHE_DIR=${FWPOL_CACHE_DIR:-out/cache}

run() {
	printf '\n\033[1m$'; printf ' %q' "$@"; printf '\033[0m\n'
	"$@"
}

rm -rf "$DEMO"
run "$FWPOL" dev gen-estate "$DEMO"
run "$FWPOL" netdb list --inventory "$DEMO" --role edge,core,firewall
run "$FWPOL" netdb show dc1-edge1 --inventory "$DEMO"
# Which rule on which device decides an SSH flow from dc1's management net to a dc1 host?
run "$FWPOL" search flow 'tcp 10.1.255.7 -> 10.1.16.1:22' --inventory "$DEMO" --site dc1 --role edge,core,firewall
# Hosts answer only for their own addresses: dc1-h00004 (nftables) owns 10.1.16.5.
run "$FWPOL" search flow 'tcp 10.1.255.7 -> 10.1.16.5:22' --inventory "$DEMO" --site dc1
# Where is the management range referenced, and is it permitted?
run "$FWPOL" search address 10.1.255.0/24 --inventory "$DEMO" --site dc1 --role edge,core,firewall
# The team's standing intents (out/demo/intents.yaml), checked exactly; violations exit 1.
run "$FWPOL" verify --inventory "$DEMO" || true
# A proposed change to a core ACL: its first tcp deny becomes a permit. What traffic
# does it really open? (exit 1: traffic changes)
mkdir -p "$DEMO/change"
sed '0,/ deny tcp /s// permit tcp /' "$DEMO/configs/dc1/dc1-core1.cfg" > "$DEMO/change/dc1-core1.cfg"
run "$FWPOL" diff "$DEMO/configs/dc1/dc1-core1.cfg" "$DEMO/change/dc1-core1.cfg" || true
# Dead rules on one site's firewall.
run "$FWPOL" lint --inventory "$DEMO" --device dc1-fw1 --severity note || true
# A responder blocks a scanner: impact first, nothing written with --dry-run.
run "$FWPOL" block add 198.18.0.0/24 --reason "demo: scanner" --ticket DEMO-1 --for 24h --site dc1 --role edge,core,firewall --inventory "$DEMO" --dry-run
# A responder's list of flows, evaluated against the whole estate.
printf 'tcp 10.1.255.7 -> 10.1.16.1:22, mgmt ssh\nudp 203.0.113.9 -> 10.2.2.1:53, dns probe\nicmp echo-request 10.3.0.1 -> 10.4.16.3, ping\n' > "$DEMO/flows.txt"
run "$FWPOL" search flow --from-file "$DEMO/flows.txt" --inventory "$DEMO"
