package policy

import (
	"fmt"
	"net/netip"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Flow is the first packet of a new connection. Stateful conditions
// (established, ESTABLISHED/RELATED) never match it.
type Flow struct {
	Proto            uint8
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	// ICMPType/ICMPCode are meaningful for ICMP and ICMPv6 flows.
	ICMPType, ICMPCode uint8
	// InIface/OutIface are optional; see Match.
	InIface, OutIface string
}

// Family is the IP version of the flow.
func (f *Flow) Family() Family {
	if f.Src.Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}

// Applies reports whether a filter of family fam sees flows of f's family.
func (fam Family) Applies(f *Flow) bool { return fam == FamilyAny || fam == f.Family() }

// Step is one control transfer during evaluation (jump, goto, return).
type Step struct {
	Filter string `json:"filter"`
	Rule   string `json:"rule"`
	Line   int    `json:"line"`
	Action Action `json:"action"`
	Target string `json:"target,omitempty"`
}

// Decision is the outcome of evaluating a flow against a filter.
type Decision struct {
	Action Action
	// Rule decided, or nil when the filter default did.
	Rule *Rule
	// Filter is the filter holding Rule (or the entry filter for defaults).
	Filter *Filter
	// Default is true when no rule decided.
	Default bool
	Trail   []Step
	// Err is set when evaluation could not complete (jump loop, undefined
	// jump target); Action is then the entry filter's default.
	Err string
}

// maxCallDepth bounds nested jumps; iptables refuses deeper or cyclic rulesets.
const maxCallDepth = 64

// Decide evaluates flow f against entry filter fl with first-match semantics,
// following jumps, gotos and returns through the filters of c.
func (c *Config) Decide(fl *Filter, f *Flow) Decision {
	type frame struct {
		filter *Filter
		next   int
	}
	stack := []frame{{fl, 0}}
	var trail []Step
	fallback := func(err string) Decision {
		return Decision{Action: fl.Default, Filter: fl, Default: true, Trail: trail, Err: err}
	}
	for {
		top := &stack[len(stack)-1]
		if top.next >= len(top.filter.Rules) {
			if len(stack) == 1 {
				return fallback("")
			}
			stack = stack[:len(stack)-1]
			continue
		}
		r := top.filter.Rules[top.next]
		top.next++
		if r.Inactive || !r.Match.Matches(f) {
			continue
		}
		switch r.Action {
		case Permit, Deny, Reject:
			return Decision{Action: r.Action, Rule: r, Filter: top.filter, Trail: trail}
		case Next:
			continue
		case Return:
			trail = append(trail, Step{top.filter.Name, r.Name, r.Pos.Line, Return, ""})
			if len(stack) == 1 {
				return fallback("")
			}
			stack = stack[:len(stack)-1]
		case Jump, Goto:
			trail = append(trail, Step{top.filter.Name, r.Name, r.Pos.Line, r.Action, r.Target})
			target := c.Filter(r.Target)
			if target == nil {
				return fallback(fmt.Sprintf("%s: rule %s jumps to undefined %q", r.Pos, r.Name, r.Target))
			}
			if r.Action == Goto && len(stack) > 1 {
				stack[len(stack)-1] = frame{target, 0}
			} else if r.Action == Goto {
				// A goto from the entry filter: falling off the target applies
				// the entry filter's default, like a return from it.
				stack = append(stack, frame{target, 0})
				stack[0].next = len(stack[0].filter.Rules)
			} else {
				stack = append(stack, frame{target, 0})
			}
			if len(stack) > maxCallDepth {
				return fallback(fmt.Sprintf("%s: jumps nest deeper than %d (loop?)", r.Pos, maxCallDepth))
			}
		}
	}
}
