package storetest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap/internal/apierr"
	"civmap/internal/auth"
	"civmap/internal/edit"
)

// testTokens is the auth.Store contract: tokens round-trip whole (salt and hash as given, times at µs), are found by
// id, listed by name in byte order, revoked by name (the first revocation time kept), names and ids unique with revoked
// tokens included, nothing but the hash kept, and all of it survives a reopen. A fresh store has no tokens and is still
// Empty (Empty is about divisions).
func testTokens(t *testing.T, h *harness) {
	ctx := t.Context()
	if ts, err := h.s.Tokens(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("Tokens on a fresh store = %v, %v; want none", ts, err)
	}
	if _, err := h.s.TokenByID(ctx, "0123456789abcdef"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("TokenByID on a fresh store: %v, want ErrNotFound", err)
	}
	if _, err := h.s.RevokeToken(ctx, "nobody", time.Now()); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("RevokeToken on a fresh store: %v, want ErrNotFound", err)
	}

	texts := map[string]string{}
	stored := map[string]auth.Token{}
	for _, c := range []struct {
		name string
		role edit.Role
	}{{"张三", edit.RoleEditor}, {"admin", edit.RoleAdmin}, {"Zed", edit.RoleReviewer}, {"bot-1", edit.RoleViewer}} {
		text, tok, err := auth.Create(ctx, h.s, c.name, c.role)
		if err != nil {
			t.Fatalf("Create %s: %v", c.name, err)
		}
		texts[c.name], stored[c.name] = text, tok
	}
	if empty, err := h.s.Empty(ctx); err != nil || !empty {
		t.Errorf("Empty with tokens but no divisions = %v, %v; want true", empty, err)
	}

	check := func(what string) {
		t.Helper()
		for name, want := range stored {
			got, err := h.s.TokenByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("%s: TokenByID(%s): %v", what, name, err)
			}
			checkToken(t, what+" "+name, want, got)
			v, err := auth.Verify(ctx, h.s, texts[name])
			if name == "Zed" {
				if !errors.Is(err, auth.ErrRevoked) {
					t.Errorf("%s: Verify(revoked Zed) = %v", what, err)
				}
			} else if err != nil || v.Name != name || v.Role != want.Role {
				t.Errorf("%s: Verify(%s) = %+v, %v", what, name, v, err)
			}
		}
		list, err := h.s.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tok := range list {
			names = append(names, tok.Name)
			checkToken(t, what+" list "+tok.Name, stored[tok.Name], tok)
		}
		checkIDs(t, what+": Tokens names", []string{"Zed", "admin", "bot-1", "张三"}, names) // byte order
	}

	// Revoke: the time is kept at µs and a second revocation keeps the first.
	at := time.Date(2025, 3, 1, 8, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	r, err := h.s.RevokeToken(ctx, "Zed", at)
	if err != nil || !r.RevokedAt.Equal(at.Truncate(time.Microsecond)) || r.RevokedAt.Location() != time.UTC {
		t.Fatalf("RevokeToken = %+v, %v; want RevokedAt %v in UTC", r, err, at.Truncate(time.Microsecond))
	}
	if r2, err := h.s.RevokeToken(ctx, "Zed", at.Add(time.Hour)); err != nil || !r2.RevokedAt.Equal(r.RevokedAt) {
		t.Errorf("second RevokeToken = %+v, %v; want the first time kept", r2, err)
	}
	z := stored["Zed"]
	z.RevokedAt = r.RevokedAt
	stored["Zed"] = z
	check("after revoke")

	// Names and ids are unique, revoked tokens included; nothing is written by a refused create.
	dupName := stored["张三"]
	dupName.ID = "ffffffffffffffff"
	dupID := stored["admin"]
	dupID.Name = "other"
	for what, tok := range map[string]auth.Token{"name": dupName, "revoked name": {ID: "eeeeeeeeeeeeeeee", Name: "Zed",
		Role: edit.RoleViewer, Salt: z.Salt, Hash: z.Hash, CreatedAt: auth.Now()}, "id": dupID} {
		if err := h.s.CreateToken(ctx, tok); !errors.Is(err, apierr.ErrConflict) {
			t.Errorf("CreateToken with a taken %s: %v, want ErrConflict", what, err)
		}
	}
	if _, err := h.s.TokenByID(ctx, "ffffffffffffffff"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("a refused CreateToken left a token: %v", err)
	}

	// Only the hash is kept: no stored field holds a token's secret.
	list, _ := h.s.Tokens(ctx)
	for _, tok := range list {
		_, secret, _ := auth.Parse(texts[tok.Name])
		for _, f := range [][]byte{tok.Salt, tok.Hash, []byte(tok.ID), []byte(tok.Name)} {
			if bytes.Contains(f, []byte(secret)) {
				t.Errorf("token %s keeps its secret", tok.Name)
			}
		}
	}

	h.reopen()
	check("after reopen")

	// Concurrent creates of one name: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, conflicts := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := auth.Create(ctx, h.s, "race", edit.RoleViewer)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, apierr.ErrConflict):
				conflicts++
			default:
				t.Errorf("concurrent Create: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || conflicts != 7 {
		t.Errorf("8 concurrent creates of one name: %d won, %d conflicts; want 1 and 7", won, conflicts)
	}
}

func checkToken(t *testing.T, what string, want, got auth.Token) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Role != want.Role || !bytes.Equal(got.Salt, want.Salt) ||
		!bytes.Equal(got.Hash, want.Hash) || !got.CreatedAt.Equal(want.CreatedAt) || !got.RevokedAt.Equal(want.RevokedAt) ||
		got.CreatedAt.Location() != time.UTC || (!got.RevokedAt.IsZero() && got.RevokedAt.Location() != time.UTC) {
		t.Errorf("%s: got %s, want %s", what, showToken(got), showToken(want))
	}
}

func showToken(t auth.Token) string {
	return strings.Join([]string{t.ID, t.Name, string(t.Role), t.CreatedAt.String(), t.RevokedAt.String()}, " ")
}
