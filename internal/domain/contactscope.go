package domain

import "fmt"

// ContactScope says which customers an agent may see and edit.
type ContactScope string

const (
	// ContactsShared is one customer base for the whole desk: every agent
	// sees every contact (the default).
	ContactsShared ContactScope = "shared"
	// ContactsTeam limits agents to the contacts who wrote to one of their
	// teams or whose ticket they are assigned, plus contacts without any
	// ticket yet. Supervisors and admins see every contact either way.
	ContactsTeam ContactScope = "team"
)

// ParseContactScope reads a scope as configured; "" is ContactsShared.
func ParseContactScope(s string) (ContactScope, error) {
	switch ContactScope(s) {
	case "", ContactsShared:
		return ContactsShared, nil
	case ContactsTeam:
		return ContactsTeam, nil
	}
	return "", fmt.Errorf("contact scope %q: want shared or team", s)
}

// ContactViewer returns whose visibility limits the contacts v sees under
// scope, or nil when v sees them all.
func (scope ContactScope) ContactViewer(v Viewer) *Viewer {
	if scope != ContactsTeam || v.Role.SeesAllTickets() {
		return nil
	}
	return &v
}
