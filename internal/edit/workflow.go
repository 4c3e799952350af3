package edit

import (
	"fmt"
	"strings"

	"civmap/internal/apierr"
)

// Move is one allowed change of a place's status: the action that makes it (the API path's last segment, or
// "delete" for DELETE), the statuses it leaves and enters, and the role it needs.
type Move struct {
	Action string
	From   string
	To     string
	Need   Role
}

// Workflow is the place-status table (issue 6, README "Place workflow"). A move not in it is refused with 409.
var Workflow = []Move{
	{"submit", "draft", "submitted", RoleEditor},
	{"approve", "submitted", "current", RoleReviewer},
	{"reject", "submitted", "draft", RoleReviewer},
	{"historical", "current", "historical", RoleReviewer},
	{"delete", "current", "abolished", RoleReviewer},
	{"delete", "historical", "abolished", RoleReviewer},
}

// FindMove returns the move action makes from status from, or an error wrapping apierr.ErrConflict naming the status
// and the moves allowed from it.
func FindMove(action, from string) (Move, error) {
	var allowed []string
	for _, m := range Workflow {
		if m.From == from {
			if m.Action == action {
				return m, nil
			}
			allowed = append(allowed, m.Action+" → "+m.To)
		}
	}
	list := "none"
	if len(allowed) > 0 {
		list = strings.Join(allowed, ", ")
	}
	return Move{}, fmt.Errorf("status %q does not allow %q (allowed from %q: %s): %w", from, action, from, list,
		apierr.ErrConflict)
}

// ActionRole is the least role any move of action needs (RoleEditor for an action the table does not have): a write
// checks it before the version and the status, so that a refused role is a 403 whatever the record's state.
func ActionRole(action string) Role {
	need := Role("")
	for _, m := range Workflow {
		if m.Action == action && (need == "" || need.Allows(m.Need)) {
			need = m.Need
		}
	}
	if need == "" {
		return RoleEditor
	}
	return need
}
