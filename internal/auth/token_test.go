package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

func TestGenerateAndVerify(t *testing.T) {
	ctx := context.Background()
	st := newMemTokens()
	text, tok, err := Create(ctx, st, "张三", edit.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^civmap_[0-9a-f]{16}_[0-9a-f]{64}$`).MatchString(text) || len(text) != TokenLen {
		t.Fatalf("token %q has the wrong shape", text)
	}
	id, secret, err := Parse(text)
	if err != nil || id != tok.ID || !strings.HasSuffix(text, secret) {
		t.Fatalf("Parse(%q) = %q, %q, %v; stored id %q", text, id, secret, err, tok.ID)
	}
	// What is stored reveals no token: neither the secret nor anything equal to an unsalted hash of it.
	stored := string(tok.Salt) + string(tok.Hash) + hex.EncodeToString(tok.Salt) + hex.EncodeToString(tok.Hash) + tok.ID + tok.Name
	if strings.Contains(stored, secret) || len(tok.Salt) != 16 || len(tok.Hash) != 32 {
		t.Errorf("stored token %+v holds the secret or has the wrong salt/hash sizes", tok)
	}
	if bytes.Equal(tok.Hash, hash(nil, secret)) {
		t.Error("hash is not salted")
	}
	got, err := Verify(ctx, st, text)
	if err != nil || got.Principal() != (edit.Principal{Name: "张三", Role: edit.RoleEditor}) {
		t.Fatalf("Verify = %+v, %v", got, err)
	}

	// Two tokens never share a salt, an id or a secret.
	text2, tok2, err := Create(ctx, st, "李四", edit.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(tok.Salt, tok2.Salt) || tok.ID == tok2.ID || text[24:] == text2[24:] {
		t.Error("two tokens share random parts")
	}

	// One changed hex digit of the secret, another token's secret under this id, an unknown id: all unknown.
	flip := text[:len(text)-1] + map[bool]string{true: "0", false: "1"}[text[len(text)-1] != '0']
	mixed := text[:len(Prefix)+idLen+1] + text2[len(Prefix)+idLen+1:]
	unknownID := Prefix + "0123456789abcdef" + text[len(Prefix)+idLen:]
	for _, bad := range []string{flip, mixed, unknownID} {
		if _, err := Verify(ctx, st, bad); !errors.Is(err, ErrUnknown) || !errors.Is(err, edit.ErrUnauthenticated) {
			t.Errorf("Verify(%q) = %v, want ErrUnknown", bad, err)
		}
	}
	for _, bad := range []string{"", "civmap_", "abc", strings.ToUpper(text), text + "0", text[:len(text)-1],
		strings.Replace(text, "_", "-", 2), "xxxxxx_" + text[7:]} {
		if _, err := Verify(ctx, st, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, want ErrMalformed", bad, err)
		}
	}

	// Revoked: refused, and the refusal names the holder.
	r, err := st.RevokeToken(ctx, "张三", Now())
	if err != nil || !r.Revoked() {
		t.Fatal(r, err)
	}
	got, err = Verify(ctx, st, text)
	if !errors.Is(err, ErrRevoked) || got.Name != "张三" {
		t.Errorf("Verify(revoked) = %+v, %v", got, err)
	}
	if _, err := Verify(ctx, st, text2); err != nil {
		t.Errorf("the other token stopped working: %v", err)
	}
}

func TestCreateRefuses(t *testing.T) {
	ctx := context.Background()
	st := newMemTokens()
	if _, _, err := Create(ctx, st, "a", edit.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	_, _, err := Create(ctx, st, "a", edit.RoleViewer)
	if !errors.Is(err, apierr.ErrConflict) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate name: %v", err)
	}
	_, _, err = Create(ctx, st, "b", "boss")
	inv, _ := apierr.AsInvalid(err)
	if len(inv) != 1 || inv[0].Field != "role" || !strings.Contains(inv[0].Reason,
		"viewer, editor, reviewer, inspector, planner, admin") {
		t.Errorf("unknown role: %v", err)
	}
	for _, name := range []string{"", "有 空格", "tab\t", "zw\u200bj", strings.Repeat("名", MaxNameLen+1), "\xff"} {
		_, _, err := Create(ctx, st, name, edit.RoleViewer)
		if inv, _ := apierr.AsInvalid(err); len(inv) != 1 || inv[0].Field != "name" {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if ts, _ := st.Tokens(ctx); len(ts) != 1 {
		t.Errorf("%d tokens stored, want 1", len(ts))
	}
}

func TestAnonymousText(t *testing.T) {
	var a Anonymous
	if err := a.UnmarshalText([]byte("none")); err != nil || a != AnonymousNone {
		t.Errorf("none: %v %v", a, err)
	}
	if err := a.UnmarshalText([]byte("write")); err == nil {
		t.Error("write accepted")
	}
	if b, _ := Anonymous("").MarshalText(); string(b) != "read" {
		t.Errorf("default %q", b)
	}
}
