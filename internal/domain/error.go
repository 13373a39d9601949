package domain

import "errors"

// Error is a rule violation a user can fix. Code is machine-readable and
// stable; Message tells the user what to change.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Invalid returns an *Error with the given code and message.
func Invalid(code, message string) *Error { return &Error{Code: code, Message: message} }

// ErrNotFound reports a missing resource; stores wrap it with context.
var ErrNotFound = errors.New("not found")
