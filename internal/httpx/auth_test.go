package httpx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"civmap/internal/edit"
)

// edit.Require's errors are 401 (with a Bearer challenge) and 403, each a problem naming Authorization; a body over
// its limit is 413 however the reader's error reaches WriteError.
func TestAuthAndBodyLimitStatuses(t *testing.T) {
	ctx := context.Background()
	editor := edit.WithPrincipal(ctx, edit.Principal{Name: "a", Role: edit.RoleEditor})
	_, mbeErr := io.ReadAll(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("12345")), 2))
	var viaDecoder any
	decErr := json.NewDecoder(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(`{"a":1}`)), 3)).Decode(&viaDecoder)
	for _, c := range []struct {
		name   string
		err    error
		status int
		field  string
	}{
		{"anonymous", edit.Require(ctx, edit.RoleEditor), 401, "Authorization"},
		{"wrong role", edit.Require(editor, edit.RoleReviewer), 403, "Authorization"},
		{"wrapped", fmt.Errorf("approving: %w", edit.Require(editor, edit.RoleAdmin)), 403, "Authorization"},
		{"max bytes", mbeErr, 413, "body"},
		{"max bytes in a 400", BadRequest(fmt.Errorf("reading: %w", mbeErr)), 413, "body"},
		{"json decoder", jsonError(decErr, nil), 413, "body"},
	} {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("GET", "/x", nil), c.err)
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != c.status || p.Status != c.status ||
			len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s: %d %s, want %d naming %s", c.name, w.Code, w.Body, c.status, c.field)
		}
		if got := w.Header().Get("WWW-Authenticate"); (c.status == 401) != strings.HasPrefix(got, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, got)
		}
	}
}
