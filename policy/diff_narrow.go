package policy

// Change review compares two versions of a long filter that differ in a few
// rules. Building both complete decision diagrams costs as much as the
// filters are long; the changed rules decide where the diff can be:
//
// Align the rules that can decide a packet (by what they match and do,
// not by name) with a shortest edit script. A packet that no unaligned
// ("changed") rule matches meets the same aligned rules in the same order in
// both versions, so the first of them decides it alike on both sides: every
// changed verdict lies inside the changed rules' matches. An aligned rule
// that overlaps no changed rule matches none of those packets, so dropping
// it from both versions keeps every verdict inside them and keeps the two
// versions equal outside. The diff of the narrowed filters is therefore the
// diff of the originals, with the same deciding rules.
//
// This holds for first-match filters whose rules permit, deny, reject or
// return (to the default); filters with jumps or gotos, or with different
// defaults or families, are compared whole.

// diffNarrowMaxEdits bounds the edit script search (it costs O(N·D) time
// and O(D²) memory); a larger change is compared whole.
const diffNarrowMaxEdits = 2048

// diffNarrowMaxChecks bounds the aligned × changed overlap tests.
const diffNarrowMaxChecks = 1 << 24

// narrowForDiff returns filters with the same diff (and deciding rules) as
// a and b, holding only the rules that can take part in it; ok is false
// when the filters must be compared whole.
func narrowForDiff(a, b *Filter) (na, nb *Filter, ok bool) {
	if a == nil || b == nil || a.Family != b.Family || a.Default != b.Default {
		return nil, nil, false
	}
	ra, okA := decidingRules(a)
	rb, okB := decidingRules(b)
	if !okA || !okB {
		return nil, nil, false
	}
	ids := RuleKeyIDs(false, ra, rb)
	pairOf, ok := AlignSeqs(ids[0], ids[1], diffNarrowMaxEdits)
	if !ok {
		return nil, nil, false
	}
	var changed []*Rule
	inB := make([]bool, len(rb))
	aligned := 0
	for i, j := range pairOf {
		if j < 0 {
			changed = append(changed, ra[i])
		} else {
			inB[j] = true
			aligned++
		}
	}
	for j, r := range rb {
		if !inB[j] {
			changed = append(changed, r)
		}
	}
	if aligned*len(changed) > diffNarrowMaxChecks {
		return nil, nil, false
	}
	na, nb = a.Clone(), b.Clone()
	na.Rules, nb.Rules = nil, nil
	bKept := make([]bool, len(rb))
	for i, j := range pairOf {
		if j < 0 {
			na.Rules = append(na.Rules, ra[i])
			continue
		}
		for _, c := range changed {
			if MayOverlap(&ra[i].Match, &c.Match) {
				na.Rules = append(na.Rules, ra[i])
				bKept[j] = true
				break
			}
		}
	}
	for j, r := range rb {
		if !inB[j] || bKept[j] {
			nb.Rules = append(nb.Rules, r)
		}
	}
	return na, nb, true
}

// decidingRules lists the rules of f that can decide a packet; ok is false
// when f jumps or goes to another filter.
func decidingRules(f *Filter) ([]*Rule, bool) {
	out := make([]*Rule, 0, len(f.Rules))
	for _, r := range f.Rules {
		if r == nil || r.Inactive {
			continue
		}
		switch r.Action {
		case Permit, Deny, Reject, Return:
			out = append(out, r)
		case Jump, Goto:
			return nil, false
		}
	}
	return out, true
}

// AlignSeqs matches x and y by a shortest edit script (Myers' O(N·D)
// algorithm): pairOf[i] is the index in y paired with x[i] (equal values,
// increasing), or -1. ok is false when more than maxEdits edits are needed.
func AlignSeqs(x, y []int32, maxEdits int) (pairOf []int32, ok bool) {
	pairOf = make([]int32, len(x))
	for i := range pairOf {
		pairOf[i] = -1
	}
	// common prefix and suffix first: the usual case leaves a short middle
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pairOf[pre] = int32(pre)
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		pairOf[len(x)-1-suf] = int32(len(y) - 1 - suf)
		suf++
	}
	a, b := x[pre:len(x)-suf], y[pre:len(y)-suf]
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return pairOf, true
	}
	maxD := min(n+m, maxEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	// trace[d] holds v[k] for k in [-d-1, d+1] as it was when round d began
	var trace [][]int
	end := -1
	for d := 0; d <= maxD && end < 0; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				i = v[off+k+1]
			} else {
				i = v[off+k-1] + 1
			}
			j := i - k
			for i < n && j < m && a[i] == b[j] {
				i++
				j++
			}
			v[off+k] = i
			if i >= n && j >= m {
				end = d
				break
			}
		}
	}
	if end < 0 {
		return nil, false
	}
	i, j := n, m
	for d := end; d >= 0; d-- {
		t := trace[d]
		at := func(k int) int { return t[k+d+1] }
		k := i - j
		startI, startJ := 0, 0
		prevI, prevJ := 0, 0
		if d > 0 {
			var prevK int
			if k == -d || (k != d && at(k-1) < at(k+1)) {
				prevK = k + 1
				prevI = at(prevK)
				prevJ = prevI - prevK
				startI, startJ = prevI, prevJ+1
			} else {
				prevK = k - 1
				prevI = at(prevK)
				prevJ = prevI - prevK
				startI, startJ = prevI+1, prevJ
			}
		}
		for i > startI && j > startJ {
			i--
			j--
			pairOf[pre+i] = int32(pre + j)
		}
		i, j = prevI, prevJ
	}
	return pairOf, true
}
