package push

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fwpol/fwpol/policy"
)

// exec runs one command on a Linux host (its own SSH channel) with stdin,
// bounded by the target's timeout, and returns stdout (stderr in errors).
func execCmd(ctx context.Context, c *ssh.Client, timeout time.Duration, cmd, stdin string) (string, error) {
	sess, err := c.NewSession()
	if err != nil {
		return "", errConnLost{cmd}
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	if stdin != "" {
		sess.Stdin = strings.NewReader(stdin)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err = <-done:
	case <-t.C:
		sess.Close()
		return out.String(), fmt.Errorf("%s: timed out after %s", cmd, timeout)
	case <-ctx.Done():
		sess.Close()
		return out.String(), ctx.Err()
	}
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), fmt.Errorf("%s: %s", cmd, msg)
	}
	return out.String(), nil
}

// linux applies a change to an nftables or iptables host: save the
// ruleset, run the commands (nft -f: one transaction; iptables/ipset: a
// sh -e script), verify, and restore the saved ruleset on any failure.
func (d *device) linux(ctx context.Context, c *ssh.Client) {
	// an interrupt stops new devices, never one between apply and
	// verify/restore: each command is still bounded by the timeout
	ctx = context.WithoutCancel(ctx)
	run := func(cmd, stdin string) (string, error) { return execCmd(ctx, c, d.t.Timeout, cmd, stdin) }
	fetch := d.linuxFetch(run)
	saved, sets, err := fetch()
	if err != nil {
		d.fail("saving the ruleset: %v", err)
		return
	}
	if !d.checkPre(saved, sets) {
		return
	}
	restore := func() {
		// the saved text goes on stdin (never through a shell)
		steps := d.restoreSteps(saved, sets)
		for _, st := range steps {
			d.res.Rollback = append(d.res.Rollback, st.cmd)
			if _, err := run(st.cmd, st.stdin); err != nil {
				d.fail("restoring the saved ruleset: %v", err)
				return
			}
		}
		after, afterSets, err := fetch()
		if err == nil {
			err = d.restored(after, afterSets)
		}
		d.rolledBack(err)
	}
	var applyErr error
	if d.p.Vendor == "nftables" {
		_, applyErr = run("nft -f -", strings.Join(d.p.Commands, "\n")+"\n")
	} else {
		for _, st := range iptablesPayloads(d.p.Commands) {
			if _, applyErr = run(st.cmd, st.stdin); applyErr != nil {
				break
			}
		}
	}
	if applyErr != nil {
		d.fail("applying: %v", applyErr)
		restore()
		return
	}
	d.fault(func(cmd string) (string, error) { return run("sh -e -s", cmd+"\n") })
	post, postSets, err := fetch()
	if err == nil {
		err = d.verify(post, postSets)
	}
	if err != nil {
		d.res.Verification = err.Error()
		d.fail("verification failed: %v", err)
		restore()
		return
	}
	d.res.Verified, d.res.Verification = true, "ruleset parsed back: intended decisions, nothing left to render"
	d.res.Status = StatusApplied
}

// iptablesPayloads turns the blocklist commands into the host's atomic
// loaders: the set changes as one "ipset -exist restore", every rule change
// as one "iptables-restore --noflush" transaction (all or nothing), then
// the emptied sets destroyed once no rule uses them.
func iptablesPayloads(cmds []string) []step {
	var sets, destroys []string
	rules := map[string][]string{} // by tool
	var tools []string
	for _, c := range cmds {
		switch {
		case strings.HasPrefix(c, "ipset destroy "):
			destroys = append(destroys, strings.TrimPrefix(c, "ipset "))
		case strings.HasPrefix(c, "ipset "):
			sets = append(sets, strings.TrimSuffix(strings.TrimPrefix(c, "ipset "), " -exist"))
		default:
			tool, rule, _ := strings.Cut(c, " ")
			if _, ok := rules[tool]; !ok {
				tools = append(tools, tool)
			}
			rules[tool] = append(rules[tool], rule)
		}
	}
	var out []step
	if len(sets) > 0 {
		out = append(out, step{"ipset -exist restore", strings.Join(sets, "\n") + "\n"})
	}
	for _, tool := range tools {
		out = append(out, step{tool + "-restore --noflush", "*filter\n" + strings.Join(rules[tool], "\n") + "\nCOMMIT\n"})
	}
	if len(destroys) > 0 {
		out = append(out, step{"ipset restore", strings.Join(destroys, "\n") + "\n"})
	}
	return out
}

// linuxFetch returns how to read the host's ruleset (and ipsets).
func (d *device) linuxFetch(run func(cmd, stdin string) (string, error)) func() (string, string, error) {
	if d.p.Vendor == "nftables" {
		return func() (string, string, error) {
			out, err := run("nft list ruleset", "")
			return out, "", err
		}
	}
	tool := d.iptablesTool()
	return func() (string, string, error) {
		out, err := run(tool+"-save", "")
		if err != nil {
			return "", "", err
		}
		sets, err := run("ipset save", "")
		if err != nil {
			return "", "", err
		}
		return out, sets, nil
	}
}

func (d *device) iptablesTool() string {
	v4, v6 := false, false
	for _, f := range d.p.Config.Filters {
		switch f.Family {
		case policy.FamilyIPv4:
			v4 = true
		case policy.FamilyIPv6:
			v6 = true
		}
	}
	if v6 && !v4 {
		return "ip6tables"
	}
	return "iptables"
}

type step struct{ cmd, stdin string }

// restoreSteps put back the saved ruleset. nftables: one transaction
// flushing and reloading it. iptables: the rules first (so no rule
// references a set about to go), then every set the change created is
// destroyed and the saved ones refilled.
func (d *device) restoreSteps(saved, sets string) []step {
	if d.p.Vendor == "nftables" {
		return []step{{"nft -f -", "flush ruleset\n" + withNL(saved)}}
	}
	var names []string
	for _, l := range strings.Split(sets, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "create" {
			names = append(names, f[1])
		}
	}
	sort.Strings(names)
	steps := []step{
		{d.iptablesTool() + "-restore", withNL(saved)},
		{"sh -s", "for s in $(ipset list -n); do case ' " + strings.Join(names, " ") + " ' in *\" $s \"*) ipset flush \"$s\";; *) ipset destroy \"$s\";; esac; done\n"},
	}
	if strings.TrimSpace(sets) != "" {
		steps = append(steps, step{"ipset restore -exist", withNL(sets)})
	}
	return steps
}

func withNL(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}
