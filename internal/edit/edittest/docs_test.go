package edittest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// TestDocsContract: Docs keeps edit.DocStore's rules — create, replace and delete under the version rule, compacted
// bodies, identical bodies a no-op, a batch all or nothing, numbering on after a delete, Docs by prefix in byte order.
func TestDocsContract(t *testing.T) {
	ctx := context.Background()
	s := NewDocs()
	meta := edit.Meta{Actor: "联检组"}
	w := func(id string, expect int64, body string) edit.DocWrite {
		var b json.RawMessage
		if body != "" {
			b = json.RawMessage(body)
		}
		return edit.DocWrite{Kind: "rounds", ID: id, ExpectVersion: expect, Body: b}
	}
	if vs, err := s.WriteDocs(ctx, []edit.DocWrite{w("r2", 0, `{"a": 1}`), w("r1", 0, `{"b":2}`)}, meta); err != nil ||
		!slices.Equal(vs, []int64{1, 1}) {
		t.Fatalf("create: %v %v", vs, err)
	}
	if d, err := s.Doc(ctx, "rounds", "r2"); err != nil || string(d.Body) != `{"a":1}` || d.Version != 1 {
		t.Fatalf("r2 = %+v %s, %v; want the compacted body at version 1", d, d.Body, err)
	}
	for _, c := range []struct {
		w    edit.DocWrite
		want error
	}{
		{w("r1", 0, `{"b":3}`), apierr.ErrConflict},
		{w("r9", 1, `{"b":3}`), apierr.ErrNotFound},
		{w("r1", 2, `{"b":3}`), apierr.ErrVersionMismatch},
		{w("r9", edit.AnyVersion, ""), apierr.ErrNotFound},
	} {
		// The good write before the bad one must not land either.
		_, err := s.WriteDocs(ctx, []edit.DocWrite{w("r2", 1, `{"a":5}`), c.w}, meta)
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.w, err, c.want)
		}
	}
	if d, _ := s.Doc(ctx, "rounds", "r2"); string(d.Body) != `{"a":1}` || d.Version != 1 {
		t.Errorf("a refused batch wrote r2: %+v", d)
	}
	if vs, err := s.WriteDocs(ctx, []edit.DocWrite{w("r1", 1, `{ "b" : 2 }`)}, meta); err != nil || vs[0] != 1 {
		t.Errorf("identical body: %v %v, want version 1 kept", vs, err)
	}
	if vs, err := s.WriteDocs(ctx, []edit.DocWrite{w("r1", 1, "")}, meta); err != nil || vs[0] != 2 {
		t.Fatalf("delete: %v %v", vs, err)
	}
	if _, err := s.Doc(ctx, "rounds", "r1"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("deleted r1: %v", err)
	}
	if vs, err := s.WriteDocs(ctx, []edit.DocWrite{w("r1", 0, `{"b":4}`), w("r10", 0, `{}`)}, meta); err != nil ||
		!slices.Equal(vs, []int64{3, 1}) {
		t.Errorf("re-create after delete: %v %v, want version 3", vs, err)
	}
	ds, _ := s.Docs(ctx, "rounds", "r1")
	if len(ds) != 2 || ds[0].ID != "r1" || ds[1].ID != "r10" {
		t.Errorf("Docs(r1) = %+v", ds)
	}
	if n := len(s.Batches()); n != 3 {
		t.Errorf("%d batches recorded, want 3 (create, delete, re-create)", n)
	}
}
