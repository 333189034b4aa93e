package nftables

import (
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// HookChains lists the entry filters that a flow meets on hook, in the
// kernel's order (ascending priority; equal priorities in declaration
// order). hook is a hook name of the IP families ("input", "forward",
// "output", "prerouting", "postrouting"), which selects the base chains of
// ip, ip6 and inet tables whose family applies to fl; or "FAMILY/HOOK"
// ("bridge/input", "netdev/ingress", "inet/ingress") for one family's hook.
// Only filter and route chains are included; nat chains are not entry
// filters.
func HookChains(cfg *policy.Config, hook string, fl *policy.Flow) []*policy.Filter {
	fam := ""
	if i := strings.IndexByte(hook, '/'); i >= 0 {
		fam, hook = hook[:i], hook[i+1:]
	}
	var out []*policy.Filter
	for _, f := range cfg.Filters {
		if !f.Entry || f.Kind != "nft-chain" || f.Meta["hook"] != hook {
			continue
		}
		tf := f.Meta["family"]
		if fam != "" {
			if tf != fam {
				continue
			}
		} else if tf != "ip" && tf != "ip6" && tf != "inet" {
			continue
		}
		if fl != nil && !f.Family.Applies(fl) {
			continue
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return prio(out[i]) < prio(out[j]) })
	return out
}

func prio(f *policy.Filter) int {
	n, _ := strconv.Atoi(f.Meta["priority"])
	return n
}

// CombinedVerdict applies the kernel's rule for several base chains on one
// hook: the chains run in priority order; a drop or reject is final; an
// accept ends only that chain and the packet proceeds to the next base chain.
// It returns the final decision and the per-chain decisions in evaluation
// order. With no base chain on the hook the packet is accepted (Default,
// no Filter). Interface conditions need fl.InIface/OutIface.
func CombinedVerdict(cfg *policy.Config, hook string, fl *policy.Flow) (policy.Decision, []policy.Decision) {
	chains := HookChains(cfg, hook, fl)
	var steps []policy.Decision
	final := policy.Decision{Action: policy.Permit, Default: true}
	for _, f := range chains {
		d := cfg.Decide(f, fl)
		steps = append(steps, d)
		final = d
		if d.Action != policy.Permit {
			return d, steps
		}
	}
	return final, steps
}
