package domain

// Role is what an agent may do.
type Role string

// Roles: admins do everything, supervisors see all tickets and reports,
// agents see tickets of their teams and their own assignments.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSupervisor || r == RoleAgent }

// SeesAllTickets reports whether r may see every ticket regardless of team.
func (r Role) SeesAllTickets() bool { return r == RoleAdmin || r == RoleSupervisor }

// Viewer is who looks at a ticket: enough to decide visibility without I/O.
type Viewer struct {
	AgentID int64
	Role    Role
	TeamIDs []int64
}

// CanSee reports whether v may see a ticket owned by teamID and assigned to
// assigneeID (zero means none).
func (v Viewer) CanSee(teamID, assigneeID int64) bool {
	if v.Role.SeesAllTickets() {
		return true
	}
	if assigneeID != 0 && assigneeID == v.AgentID {
		return true
	}
	for _, t := range v.TeamIDs {
		if t == teamID && teamID != 0 {
			return true
		}
	}
	return false
}
