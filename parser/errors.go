// Package parser holds the machinery shared by the vendor parsers: source
// positions, positioned errors, a line splitter and a brace-language lexer.
package parser

import (
	"errors"
	"fmt"

	"github.com/fwpol/fwpol/policy"
)

// Pos is a source position (file, 1-based line and column).
type Pos = policy.Pos

// Error is a parse error at a source position. Its text is "file:line:col: msg",
// the form editors and CI annotators understand.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf builds a positioned error.
func Errorf(pos Pos, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// AsError extracts a positioned error from err's chain.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}
