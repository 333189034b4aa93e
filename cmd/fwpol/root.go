package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes shared by every command (diff and verify add "1 = change found").
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// IOStreams are the command's input and outputs, injectable for tests.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY is true when Out is a terminal (tables may then be styled).
	OutTTY bool
}

func systemIO() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutTTY: term.IsTerminal(int(os.Stdout.Fd()))}
}

// usageError marks errors in how the command was called (exit 2).
type usageError struct{ error }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCodeError lets a command choose its exit code without printing an
// error (diff: 1 when traffic changes).
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd(ios *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "fwpol",
		Short: "Firewall policy management across Junos, Cisco, ASA, iptables and nftables",
		Long: `fwpol parses firewall configs of every vendor in an estate into one
normalized policy model and answers questions about them with exact IP-range math.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newParseCmd(ios), newSearchCmd(ios), newNetdbCmd(ios), newDevCmd(ios), newVerifyCmd(ios))
	root.AddCommand(newConvertCmd(ios))
	root.AddCommand(newBlockCmd(ios))
	root.AddCommand(newDiffCmd(ios), newLintCmd(ios))
	root.AddCommand(newPlanCmd(ios), newPushCmd(ios))
	return root
}

func run(args []string, ios *IOStreams) int {
	root := newRootCmd(ios)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		fmt.Fprintf(ios.ErrOut, "fwpol: %v\nRun 'fwpol --help' for usage.\n", err)
		return exitUsage
	}
	printError(ios.ErrOut, err)
	return exitError
}

// resultErr is for commands whose exit status 1 reports a result (lint
// findings, traffic changes): an error that is neither a usage error nor an
// exit code is printed and exits 2.
func resultErr(ios *IOStreams, err error) error {
	var ec exitCodeError
	var ue usageError
	if err == nil || errors.As(err, &ec) || errors.As(err, &ue) {
		return err
	}
	printError(ios.ErrOut, err)
	return exitCodeError{exitUsage}
}

// isCobraUsageError recognises cobra's own argument errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "required flag", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// printError prints every error of a joined or multi-file error on its own line.
func printError(w io.Writer, err error) {
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		for _, e := range multi.Unwrap() {
			printError(w, e)
		}
		return
	}
	fmt.Fprintf(w, "fwpol: %v\n", err)
}
