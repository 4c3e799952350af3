package edit_test

import (
	"errors"
	"strings"
	"testing"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Every move of the README's table is found with its target status and role; nothing else is in the table.
func TestWorkflowAllowedMoves(t *testing.T) {
	table := []edit.Move{
		{Action: "submit", From: "draft", To: "submitted", Need: edit.RoleEditor},
		{Action: "approve", From: "submitted", To: "current", Need: edit.RoleReviewer},
		{Action: "reject", From: "submitted", To: "draft", Need: edit.RoleReviewer},
		{Action: "historical", From: "current", To: "historical", Need: edit.RoleReviewer},
		{Action: "delete", From: "current", To: "abolished", Need: edit.RoleReviewer},
		{Action: "delete", From: "historical", To: "abolished", Need: edit.RoleReviewer},
	}
	for _, want := range table {
		got, err := edit.FindMove(want.Action, want.From)
		if err != nil || got != want {
			t.Errorf("FindMove(%q, %q) = %+v, %v; want %+v", want.Action, want.From, got, err, want)
		}
	}
	if len(edit.Workflow) != len(table) {
		t.Errorf("edit.Workflow has %d moves, the README's table %d", len(edit.Workflow), len(table))
	}
	statuses := []string{"draft", "submitted", "current", "historical", "abolished"}
	actions := []string{"submit", "approve", "reject", "historical", "delete"}
	allowed := 0
	for _, from := range statuses {
		for _, a := range actions {
			if _, err := edit.FindMove(a, from); err == nil {
				allowed++
			}
		}
	}
	if allowed != len(table) {
		t.Errorf("%d (action, status) pairs allowed, want %d", allowed, len(table))
	}
}

// A move not in the table is a conflict naming the status, the action and the moves its status allows.
func TestWorkflowRefusedMove(t *testing.T) {
	for _, c := range []struct{ action, from, lists string }{
		{"delete", "draft", `allowed from "draft": submit → submitted)`},
		{"approve", "current", `allowed from "current": historical → historical, delete → abolished)`},
		{"submit", "submitted", `allowed from "submitted": approve → current, reject → draft)`},
		{"historical", "abolished", `allowed from "abolished": none)`},
	} {
		_, err := edit.FindMove(c.action, c.from)
		if err == nil || !errors.Is(err, apierr.ErrConflict) {
			t.Fatalf("FindMove(%q, %q) = %v; want a conflict", c.action, c.from, err)
		}
		if msg := err.Error(); !strings.Contains(msg, `status "`+c.from+`" does not allow "`+c.action+`"`) ||
			!strings.Contains(msg, c.lists) {
			t.Errorf("FindMove(%q, %q): %q; want it to say %q", c.action, c.from, msg, c.lists)
		}
	}
}
