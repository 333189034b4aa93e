package analysis

import (
	"encoding/binary"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// Estates repeat themselves: thousands of hosts carry the same SSH chain,
// the same jump into it, the same management rules. A component's findings
// depend only on the content of its rules and of the chains they jump to
// (not on names or positions), so each worker keeps the findings of the
// components it linted under a content key and rebuilds them for the next
// component with the same content, naming its rules.
//
// The key encodes, per rule: action, inactive flag, the match
// (policy.AppendMatchKey, without object names), and
// which earlier rule of the component has the same name and position (and
// the same name and line), so references map back one to one; then the
// content of every chain reachable by jumps and gotos (by content, cycles by
// number).

const (
	memoMaxRules   = 64   // larger components are linted directly
	memoMaxChained = 512  // rules in reachable chains
	memoMaxEntries = 8192 // per worker; the cache restarts when full
)

// memoFinding is a finding with rules as indexes into the component.
type memoFinding struct {
	kind        policy.FindingKind
	conflict    bool
	rule        int
	related     []int // -1: the default
	relatedMore int
	pre, post   string // the message around its list of related rules
}

type lintMemo map[string][]memoFinding

// lintComponent is LintFilter(c, sub) through the memo.
func (l *configLinter) lintComponent(c *policy.Config, sub *policy.Filter, size int) []policy.Finding {
	key, ok := memoKey(c, sub)
	if !ok {
		return l.manager(size).LintFilter(c, sub)
	}
	if tmpl, hit := l.memo[string(key)]; hit {
		l.memoHits++
		return materialize(sub, tmpl)
	}
	found := l.manager(size).LintFilter(c, sub)
	if tmpl, ok := template(sub, found); ok {
		if l.memo == nil || len(l.memo) >= memoMaxEntries {
			l.memo = lintMemo{}
		}
		l.memo[string(key)] = tmpl
	}
	return found
}

type namePos struct {
	name string
	pos  policy.Pos
}

type nameLine struct {
	name string
	line int
}

func template(sub *policy.Filter, found []policy.Finding) ([]memoFinding, bool) {
	byPos := map[namePos]int{}
	byLine := map[nameLine]int{}
	for i := len(sub.Rules) - 1; i >= 0; i-- {
		r := sub.Rules[i]
		byPos[namePos{r.Name, r.Pos}] = i
		byLine[nameLine{r.Name, r.Pos.Line}] = i
	}
	out := make([]memoFinding, 0, len(found))
	for _, fd := range found {
		ri, ok := byPos[namePos{fd.Rule, fd.Pos}]
		if !ok || fd.Filter != sub.Name || fd.Line != fd.Pos.Line {
			return nil, false
		}
		mf := memoFinding{kind: fd.Kind, conflict: fd.Conflict, rule: ri, relatedMore: fd.RelatedMore}
		for _, ref := range fd.Related {
			if ref.Filter != sub.Name {
				return nil, false
			}
			if ref.Rule == "" {
				if ref.Action != sub.Default {
					return nil, false
				}
				mf.related = append(mf.related, -1)
				continue
			}
			j, ok := byLine[nameLine{ref.Rule, ref.Line}]
			if !ok || sub.Rules[j].Action != ref.Action {
				return nil, false
			}
			mf.related = append(mf.related, j)
		}
		refs := policy.RefList(fd.Related, fd.RelatedMore)
		k := strings.Index(fd.Message, refs)
		if k < 0 {
			return nil, false
		}
		mf.pre, mf.post = fd.Message[:k], fd.Message[k+len(refs):]
		out = append(out, mf)
	}
	return out, true
}

func materialize(sub *policy.Filter, tmpl []memoFinding) []policy.Finding {
	out := make([]policy.Finding, len(tmpl))
	for k, mf := range tmpl {
		r := sub.Rules[mf.rule]
		fd := policy.Finding{Kind: mf.kind, Filter: sub.Name, Rule: r.Name, Line: r.Pos.Line, Pos: r.Pos, Action: r.Action,
			Conflict: mf.conflict, RelatedMore: mf.relatedMore}
		for _, j := range mf.related {
			if j < 0 {
				fd.Related = append(fd.Related, policy.RuleRef{Filter: sub.Name, Action: sub.Default})
			} else {
				rj := sub.Rules[j]
				fd.Related = append(fd.Related, policy.RuleRef{Filter: sub.Name, Rule: rj.Name, Line: rj.Pos.Line, Action: rj.Action})
			}
		}
		fd.Message = mf.pre + policy.RefList(fd.Related, fd.RelatedMore) + mf.post
		out[k] = fd
	}
	return out
}

type keyEnc struct {
	b      []byte
	chains map[*policy.Filter]int
	queue  []*policy.Filter
	rules  int
}

func (e *keyEnc) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// rule encodes what evaluation reads of a rule; jump targets by chain number.
func (e *keyEnc) rule(c *policy.Config, r *policy.Rule) bool {
	if r == nil {
		e.b = append(e.b, 0)
		return true
	}
	e.b = append(e.b, 1)
	e.u(uint64(r.Action))
	e.b = append(e.b, byte(boolInt(r.Inactive)))
	e.b = policy.AppendMatchKey(e.b, &r.Match, false)
	if r.Action == policy.Jump || r.Action == policy.Goto {
		t := c.Filter(r.Target)
		if t == nil {
			e.u(0)
		} else {
			id, ok := e.chains[t]
			if !ok {
				id = len(e.chains) + 1
				e.chains[t] = id
				e.queue = append(e.queue, t)
				e.rules += len(t.Rules)
			}
			e.u(uint64(id))
		}
	}
	return e.rules <= memoMaxChained
}

// memoKey is the content key of component sub of config c (ok false when
// it is too large to be worth keeping).
func memoKey(c *policy.Config, sub *policy.Filter) ([]byte, bool) {
	if len(sub.Rules) > memoMaxRules {
		return nil, false
	}
	e := &keyEnc{b: make([]byte, 0, 256), chains: map[*policy.Filter]int{}}
	e.u(uint64(sub.Family))
	e.b = append(e.b, byte(boolInt(sub.Entry)))
	e.u(uint64(sub.Default))
	e.u(uint64(len(sub.Rules)))
	for i, r := range sub.Rules {
		if r == nil {
			return nil, false
		}
		// the first rule with the same name and position, and with the same
		// name and line: findings map back through them
		samePos, sameLine := i, i
		for j := 0; j < i; j++ {
			q := sub.Rules[j]
			if q.Name == r.Name && q.Pos.Line == r.Pos.Line {
				if sameLine == i {
					sameLine = j
				}
				if samePos == i && q.Pos == r.Pos {
					samePos = j
				}
			}
		}
		e.u(uint64(samePos))
		e.u(uint64(sameLine))
		if !e.rule(c, r) {
			return nil, false
		}
	}
	for k := 0; k < len(e.queue); k++ {
		t := e.queue[k]
		e.b = append(e.b, '#')
		e.u(uint64(len(t.Rules)))
		for _, r := range t.Rules {
			if !e.rule(c, r) {
				return nil, false
			}
		}
	}
	return e.b, true
}
