package main

import (
	"context"
	"testing"

	"civmap/internal/auth"
	"civmap/internal/edit"
)

// newToken creates a token with role in st (named after the role) and returns its Authorization header value.
func newToken(t *testing.T, st auth.Store, role edit.Role) string {
	t.Helper()
	text, _, err := auth.Create(context.Background(), st, "test-"+string(role), role)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + text
}
