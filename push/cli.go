package push

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// shell is an interactive CLI session (network devices): commands are
// typed one per line and each answer ends at the next prompt.
type shell struct {
	sess    *ssh.Session
	in      io.WriteCloser
	chunks  chan []byte
	buf     bytes.Buffer
	prompt  *regexp.Regexp
	timeout time.Duration
	// transcript keeps what was sent (never credentials: the session is
	// already authenticated) for the record.
	dead error
}

// promptRe matches a CLI prompt at the end of the output: "user@r1> ",
// "user@r1# ", "r1#", "r1(config-ext-nacl)#", "asa(config)# ".
var promptRe = regexp.MustCompile(`(?:^|\n)[A-Za-z0-9_.@:/()\[\]~-]+[>#] ?$`)

func openShell(c *ssh.Client, timeout time.Duration) (*shell, error) {
	sess, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	in, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	sess.Stderr = io.Discard
	if err := sess.RequestPty("vt100", 0, 511, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		sess.Close()
		return nil, err
	}
	if err := sess.Shell(); err != nil {
		sess.Close()
		return nil, err
	}
	s := &shell{sess: sess, in: in, chunks: make(chan []byte, 64), prompt: promptRe, timeout: timeout}
	go func() {
		for {
			b := make([]byte, 32<<10)
			n, err := out.Read(b)
			if n > 0 {
				s.chunks <- b[:n]
			}
			if err != nil {
				close(s.chunks)
				return
			}
		}
	}()
	banner, err := s.readPrompt(nil)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("no prompt: %w", err)
	}
	s.prompt = devicePrompt(banner)
	return s, nil
}

func (s *shell) close() {
	s.in.Close()
	s.sess.Close()
}

// errConnLost is returned when the device closes the session.
type errConnLost struct{ while string }

func (e errConnLost) Error() string { return "connection lost during " + e.while }

// readPrompt collects output until a prompt (or extra, when it matches).
func (s *shell) readPrompt(extra *regexp.Regexp) (string, error) {
	if s.dead != nil {
		return "", s.dead
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	for {
		b := s.buf.Bytes()
		if s.prompt.Match(b) || (extra != nil && extra.Match(b)) {
			out := s.buf.String()
			s.buf.Reset()
			return out, nil
		}
		select {
		case c, ok := <-s.chunks:
			if !ok {
				s.dead = errConnLost{}
				return s.buf.String(), s.dead
			}
			s.buf.Write(bytes.ReplaceAll(c, []byte("\r"), nil))
		case <-timer.C:
			s.dead = fmt.Errorf("timed out after %s waiting for the device", s.timeout)
			return s.buf.String(), s.dead
		}
	}
}

// run types cmd and returns its output without the echo and the prompt.
func (s *shell) run(cmd string) (string, error) {
	return s.runUntil(cmd, nil)
}

func (s *shell) runUntil(cmd string, extra *regexp.Regexp) (string, error) {
	if s.dead != nil {
		return "", s.dead
	}
	if _, err := io.WriteString(s.in, cmd+"\n"); err != nil {
		s.dead = errConnLost{cmd}
		return "", s.dead
	}
	out, err := s.readPrompt(extra)
	if el, ok := err.(errConnLost); ok && el.while == "" {
		err = errConnLost{cmd}
		s.dead = err
	}
	return clean(out, cmd), err
}

// send writes raw text (pasted configuration, Ctrl-D) without waiting.
func (s *shell) send(text string) error {
	if _, err := io.WriteString(s.in, text); err != nil {
		s.dead = errConnLost{"load"}
		return s.dead
	}
	return nil
}

// clean drops the echoed command and the trailing prompt line.
func clean(out, cmd string) string {
	out = strings.TrimPrefix(out, cmd+"\n")
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i+1]
	} else {
		out = ""
	}
	return out
}

// devicePrompt narrows prompt detection to the device's own prompt, learnt
// from the first one ("fwpol@r1> " → "fwpol@r1" followed by > or #, with
// any "(config...)" mode), so output lines ending in > or # never end a
// command early.
func devicePrompt(banner string) *regexp.Regexp {
	last := banner[strings.LastIndexByte(banner, '\n')+1:]
	base := strings.TrimRight(last, " >#")
	if i := strings.IndexByte(base, '('); i > 0 {
		base = base[:i]
	}
	if base == "" {
		return promptRe
	}
	return regexp.MustCompile(`(?:^|\n)` + regexp.QuoteMeta(base) + `(?:\([^)\n]*\))?[>#] ?$`)
}
