package search

import (
	"runtime"
	"sync"

	"github.com/fwpol/fwpol/policy"
)

// FlowVerdicts are every entry filter's verdicts for one flow of a list.
type FlowVerdicts struct {
	NamedFlow
	Results []FlowResult `json:"results"`
}

// FlowSummary condenses one flow's verdicts across the estate: a
// responder's "is this permitted anywhere?".
type FlowSummary struct {
	NamedFlow
	Permit int `json:"permit"`
	Deny   int `json:"deny"`
	Reject int `json:"reject"`
	// PermittedBy lists up to MaxPermittedBy "device filter rule" places
	// that permit the flow.
	PermittedBy []string `json:"permitted_by"`
}

// MaxPermittedBy bounds FlowSummary.PermittedBy.
const MaxPermittedBy = 10

// Many evaluates each flow against the estate in parallel, keeping flow order.
func Many(cfgs []*policy.Config, flows []NamedFlow, opt FlowOptions) []FlowVerdicts {
	ix := NewFlowIndex(cfgs, opt)
	out := make([]FlowVerdicts, len(flows))
	parallel(len(flows), func(i int) {
		out[i] = FlowVerdicts{NamedFlow: flows[i], Results: ix.Eval(flows[i].Flow)}
	})
	return out
}

// Summarize evaluates each flow and keeps only the counts and permitting places.
func Summarize(cfgs []*policy.Config, flows []NamedFlow, opt FlowOptions) []FlowSummary {
	ix := NewFlowIndex(cfgs, opt)
	out := make([]FlowSummary, len(flows))
	parallel(len(flows), func(i int) {
		s := FlowSummary{NamedFlow: flows[i], PermittedBy: []string{}}
		for _, r := range ix.Eval(flows[i].Flow) {
			switch r.Action {
			case "permit":
				s.Permit++
				if len(s.PermittedBy) < MaxPermittedBy {
					rule := "(default)"
					if r.Rule != nil {
						rule = *r.Rule
					}
					s.PermittedBy = append(s.PermittedBy, r.Device+" "+r.Filter+" "+rule)
				}
			case "reject":
				s.Reject++
			default:
				s.Deny++
			}
		}
		out[i] = s
	})
	return out
}

func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
