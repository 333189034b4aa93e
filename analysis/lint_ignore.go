package analysis

import (
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// A finding the team has reviewed and accepted is silenced where the rule
// is written, in its comment (IOS/ASA remark, Junos term comment or
// annotation, iptables -m comment, nft comment):
//
//	fwpol:ignore                       every check on this rule
//	fwpol:ignore shadowed redundant    these checks (comma or space separated)
//
// The words after the directive that name checks are taken; the first
// other word ends the list (a reason may follow). shadowed-conflict, an
// error, is silenced only by name. Suppressed findings stay in the results
// with Suppressed set: SARIF reports them as suppressed in source, the
// other outputs leave them out (lint --show-suppressed lists them), and
// they never fail a run.

const ignoreDirective = "fwpol:ignore"

// ignoreSet is what one rule's directive silences (all when checks is nil).
type ignoreSet struct {
	checks map[string]bool
}

func (s ignoreSet) covers(check string) bool { return s.checks == nil || s.checks[check] }

// parseIgnore reads the directive in a rule comment.
func parseIgnore(comment string) (ignoreSet, bool) {
	i := strings.Index(comment, ignoreDirective)
	if i < 0 {
		return ignoreSet{}, false
	}
	rest := comment[i+len(ignoreDirective):]
	if rest != "" && !strings.ContainsRune(" \t\n,:=", rune(rest[0])) {
		return ignoreSet{}, false // fwpol:ignored, not the directive
	}
	var set ignoreSet
	for _, w := range strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '=' || r == ':' }) {
		if !knownCheck(w) {
			break
		}
		if set.checks == nil {
			set.checks = map[string]bool{}
		}
		set.checks[w] = true
	}
	return set, true
}

func knownCheck(id string) bool {
	for _, r := range LintRules {
		if r.ID == id {
			return true
		}
	}
	return false
}

type ruleAt struct {
	filter, rule string
	line, col    int
}

// markSuppressed sets Suppressed on the findings of c that a rule comment
// silences.
func markSuppressed(c *policy.Config, fs []LintFinding) {
	var ignores map[ruleAt]ignoreSet
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			if r == nil || !strings.Contains(r.Extras.Comment, ignoreDirective) {
				continue
			}
			if set, ok := parseIgnore(r.Extras.Comment); ok {
				if ignores == nil {
					ignores = map[ruleAt]ignoreSet{}
				}
				ignores[ruleAt{f.Name, r.Name, r.Pos.Line, r.Pos.Col}] = set
			}
		}
	}
	if ignores == nil {
		return
	}
	for i := range fs {
		fd := &fs[i]
		if fd.Rule == "" {
			continue
		}
		if set, ok := ignores[ruleAt{fd.Filter, fd.Rule, fd.Line, fd.Col}]; ok && set.covers(fd.Check) {
			fd.Suppressed = true
		}
	}
}
