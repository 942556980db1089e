package webapp

import (
	"fmt"
	"net/http"
)

// Role is what a user may do in the web app. Each role may do everything
// the roles before it may: viewer < shifter < expert < admin.
type Role string

// The roles.
const (
	// RoleViewer reads pages and the API.
	RoleViewer Role = "viewer"
	// RoleShifter also acknowledges and silences alarms.
	RoleShifter Role = "shifter"
	// RoleExpert also changes references, thresholds, bad channels and
	// layouts.
	RoleExpert Role = "expert"
	// RoleAdmin also manages users and API tokens.
	RoleAdmin Role = "admin"
)

// Roles lists the roles, least privileged first.
var Roles = []Role{RoleViewer, RoleShifter, RoleExpert, RoleAdmin}

// legacyRole is the role of users-file entries written before roles
// existed: they could acknowledge and silence alarms.
const legacyRole = RoleShifter

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("webapp: unknown role %q: expected viewer, shifter, expert or admin", s)
}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Permission is an action guarded by a role.
type Permission string

// The permissions, with the least role that has them (permRole).
const (
	PermView        Permission = "view"
	PermAcknowledge Permission = "acknowledge"
	PermSilence     Permission = "silence"
	PermReferences  Permission = "references"
	PermThresholds  Permission = "thresholds"
	PermBadChannels Permission = "bad-channels"
	PermLayouts     Permission = "layouts"
	PermUsers       Permission = "users"
	PermTokens      Permission = "tokens"
)

var permRole = map[Permission]Role{
	PermView:        RoleViewer,
	PermAcknowledge: RoleShifter,
	PermSilence:     RoleShifter,
	PermReferences:  RoleExpert,
	PermThresholds:  RoleExpert,
	PermBadChannels: RoleExpert,
	PermLayouts:     RoleExpert,
	PermUsers:       RoleAdmin,
	PermTokens:      RoleAdmin,
}

// Can reports whether role r has permission p. Unknown roles and
// permissions have nothing.
func (r Role) Can(p Permission) bool {
	need, ok := permRole[p]
	return ok && r.rank() >= 0 && r.rank() >= need.rank()
}

// require returns a 403 error unless the session's role has permission p
// (API tokens are read-only: they have only PermView).
func (a *App) require(s *session, p Permission) error {
	if s == nil {
		return errorf(http.StatusUnauthorized, "login required")
	}
	if s.Token != "" && p != PermView {
		return errorf(http.StatusForbidden, "API tokens are read-only")
	}
	if !s.Role.Can(p) {
		return errorf(http.StatusForbidden, "%s needs the %s role (you are %s)", p, permRole[p], s.Role)
	}
	return nil
}
