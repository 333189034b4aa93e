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

// decideWithIndex lets tests compare indexed and linear evaluation.
var decideWithIndex = true

// maxCallDepth bounds nested jumps; iptables refuses deeper or cyclic rulesets.
const maxCallDepth = 64

// Decide evaluates flow f against entry filter fl with first-match semantics,
// following jumps, gotos and returns through the filters of c.
func (c *Config) Decide(fl *Filter, f *Flow) Decision {
	type frame struct {
		filter *Filter
		next   int
		// indexed frames walk only the candidate rules: the ascending merge
		// of always (rules matching any destination) and covered.
		indexed        bool
		always, covers []int32
	}
	enter := func(fl *Filter) frame {
		fr := frame{filter: fl}
		if ix := fl.dstIndex(); ix != nil && decideWithIndex {
			fr.indexed, fr.always, fr.covers = true, ix.always, ix.covering(f.Dst)
		}
		return fr
	}
	// nextRule advances a frame, returning nil at its end.
	nextRule := func(fr *frame) *Rule {
		if !fr.indexed {
			if fr.next >= len(fr.filter.Rules) {
				return nil
			}
			fr.next++
			return fr.filter.Rules[fr.next-1]
		}
		var i int32
		switch {
		case len(fr.always) > 0 && (len(fr.covers) == 0 || fr.always[0] < fr.covers[0]):
			i, fr.always = fr.always[0], fr.always[1:]
		case len(fr.covers) > 0:
			i, fr.covers = fr.covers[0], fr.covers[1:]
		default:
			return nil
		}
		return fr.filter.Rules[i]
	}
	stack := []frame{enter(fl)}
	var trail []Step
	fallback := func(err string) Decision {
		return Decision{Action: fl.Default, Filter: fl, Default: true, Trail: trail, Err: err}
	}
	for {
		top := &stack[len(stack)-1]
		r := nextRule(top)
		if r == nil {
			if len(stack) == 1 {
				return fallback("")
			}
			stack = stack[:len(stack)-1]
			continue
		}
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
				stack[len(stack)-1] = enter(target)
			} else if r.Action == Goto {
				// A goto from the entry filter: falling off the target applies
				// the entry filter's default, like a return from it.
				stack[0] = frame{filter: fl, next: len(fl.Rules)}
				stack = append(stack, enter(target))
			} else {
				stack = append(stack, enter(target))
			}
			if len(stack) > maxCallDepth {
				return fallback(fmt.Sprintf("%s: jumps nest deeper than %d (loop?)", r.Pos, maxCallDepth))
			}
		}
	}
}
