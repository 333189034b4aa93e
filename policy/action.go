package policy

import "fmt"

// Action is what a rule does with a packet it matches.
type Action uint8

const (
	// Deny silently drops (Junos discard, iptables DROP). It is the zero value so
	// a forgotten default fails closed.
	Deny Action = iota
	Permit
	// Reject drops and tells the sender (ICMP unreachable or TCP RST).
	Reject
	// Next is non-terminating: counting, logging or Junos "next term".
	Next
	// Jump evaluates Rule.Target and continues after this rule if the target returns.
	Jump
	// Goto evaluates Rule.Target without a return address (iptables -g, nft goto).
	Goto
	// Return leaves the current filter; at the top level the filter default applies.
	Return
)

var actionNames = [...]string{"deny", "permit", "reject", "next", "jump", "goto", "return"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// Terminating reports whether the action ends evaluation of the packet.
func (a Action) Terminating() bool { return a == Deny || a == Permit || a == Reject }

// ParseAction is the inverse of Action.String.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q", s)
}

func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err == nil {
		*a = v
	}
	return err
}
