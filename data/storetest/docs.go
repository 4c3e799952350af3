package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// testDocs is the edit.DocStore contract: documents are created, replaced and deleted under the version rule, bodies
// come back as written (compacted: members in their order), Docs lists a kind's current documents by id prefix in byte order (CJK ids included), an
// identical body is a no-op, a batch is all or nothing (a failing write at its end leaves the earlier ones unwritten),
// every write has its version and audit entry with the batch's meta, numbering continues after a delete, and it all
// survives a reopen.
func testDocs(t *testing.T, h *harness) {
	ctx := t.Context()
	const kind, other edit.Kind = "test-rounds", "test-findings"
	meta := edit.Meta{Actor: "联检组", Role: edit.RoleInspector, Action: "", RequestID: "req-1"}
	if _, err := h.s.Doc(ctx, kind, "r1"); !errors.Is(err, apierr.ErrNotFound) {
		t.Fatalf("Doc on a fresh store: %v, want ErrNotFound", err)
	}
	if ds, err := h.s.Docs(ctx, kind, ""); err != nil || len(ds) != 0 {
		t.Fatalf("Docs on a fresh store = %v, %v; want an empty list", ds, err)
	}

	body := func(s string) json.RawMessage { return json.RawMessage(s) }
	// Key order and spacing are the writer's and must survive (a jsonb column would reorder them).
	r1 := body(`{"year":2023,  "line":"象宁线","b":1,"a":2}`)
	vs, err := h.s.WriteDocs(ctx, []edit.DocWrite{
		{Kind: kind, ID: "r1", Body: r1},
		{Kind: other, ID: "r1/象宁002", Body: body(`{"condition":"完好"}`)},
		{Kind: other, ID: "r1/象宁001", Body: body(`{"condition":"丢失"}`)},
		{Kind: other, ID: "r10/象宁001", Body: body(`{"condition":"损坏"}`)},
		{Kind: other, ID: "r2/象宁001", Body: body(`{"condition":"完好"}`), Action: "import"},
	}, meta)
	if err != nil {
		t.Fatalf("WriteDocs create: %v", err)
	}
	if !slices.Equal(vs, []int64{1, 1, 1, 1, 1}) {
		t.Errorf("versions after create = %v, want all 1", vs)
	}
	r1c := `{"year":2023,"line":"象宁线","b":1,"a":2}`
	d, err := h.s.Doc(ctx, kind, "r1")
	if err != nil || string(d.Body) != r1c || d.Version != 1 || d.Kind != kind || d.ID != "r1" || d.UpdatedAt.IsZero() {
		t.Fatalf("Doc r1 = %+v (%s), %v; want version 1 and the body byte for byte", d, d.Body, err)
	}
	ids := func(prefix string) []string {
		t.Helper()
		ds, err := h.s.Docs(ctx, other, prefix)
		if err != nil {
			t.Fatalf("Docs(%q): %v", prefix, err)
		}
		out := []string{}
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	if got, want := ids("r1/"), []string{"r1/象宁001", "r1/象宁002"}; !slices.Equal(got, want) {
		t.Errorf("Docs(r1/) = %v, want %v", got, want)
	}
	if got, want := ids("r1"), []string{"r1/象宁001", "r1/象宁002", "r10/象宁001"}; !slices.Equal(got, want) {
		t.Errorf("Docs(r1) = %v, want %v", got, want)
	}
	if got := ids(""); len(got) != 4 {
		t.Errorf("Docs(\"\") = %v, want the 4 findings", got)
	}
	if got := ids("r3"); len(got) != 0 {
		t.Errorf("Docs(r3) = %v, want none", got)
	}

	// Version rule.
	for _, c := range []struct {
		w    edit.DocWrite
		want error
	}{
		{edit.DocWrite{Kind: kind, ID: "r1", Body: body(`{"x":1}`)}, apierr.ErrConflict},
		{edit.DocWrite{Kind: kind, ID: "r1", Body: body(`{"x":1}`), ExpectVersion: 2}, apierr.ErrVersionMismatch},
		{edit.DocWrite{Kind: kind, ID: "nope", Body: body(`{"x":1}`), ExpectVersion: 1}, apierr.ErrNotFound},
		{edit.DocWrite{Kind: kind, ID: "nope", ExpectVersion: edit.AnyVersion}, apierr.ErrNotFound},
		{edit.DocWrite{Kind: kind, ID: "r1", Body: body(`[1]`), ExpectVersion: 1}, errInvalid},
		{edit.DocWrite{Kind: kind, ID: "r1", Body: body(`{"x":`), ExpectVersion: 1}, errInvalid},
		{edit.DocWrite{Kind: kind, ID: "", Body: body(`{}`)}, errInvalid},
		{edit.DocWrite{Kind: kind, ID: "r1", ExpectVersion: 0}, errInvalid},
	} {
		if _, err := h.s.WriteDocs(ctx, []edit.DocWrite{c.w}, meta); !isErr(err, c.want) {
			t.Errorf("WriteDocs(%s %q expect %d body %s) = %v, want %v", c.w.Kind, c.w.ID, c.w.ExpectVersion, c.w.Body,
				err, c.want)
		}
	}

	// All or nothing: the replace of r1 and the new r3 are undone by the stale write at the end.
	_, err = h.s.WriteDocs(ctx, []edit.DocWrite{
		{Kind: kind, ID: "r1", Body: body(`{"year":2024}`), ExpectVersion: 1},
		{Kind: kind, ID: "r3", Body: body(`{"year":2028}`)},
		{Kind: other, ID: "r1/象宁001", Body: body(`{"condition":"完好"}`), ExpectVersion: 7},
	}, meta)
	if !errors.Is(err, apierr.ErrVersionMismatch) {
		t.Fatalf("batch with a stale write = %v, want ErrVersionMismatch", err)
	}
	if _, err := h.s.WriteDocs(ctx, []edit.DocWrite{
		{Kind: kind, ID: "r3", Body: body(`{}`)}, {Kind: kind, ID: "r3", Body: body(`{}`)}}, meta); !isErr(err, errInvalid) {
		t.Errorf("a batch writing one document twice = %v, want ErrInvalid", err)
	}
	if d, _ := h.s.Doc(ctx, kind, "r1"); d.Version != 1 || string(d.Body) != r1c {
		t.Errorf("after the failed batch r1 = version %d %s, want version 1 unchanged", d.Version, d.Body)
	}
	if _, err := h.s.Doc(ctx, kind, "r3"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("after the failed batch r3: %v, want ErrNotFound", err)
	}

	// A no-op, a replace, an upsert and a delete; numbering continues after the delete.
	r1b := body(`{"year":2023,"line":"象宁线","tolerance_m":1.5}`)
	vs, err = h.s.WriteDocs(ctx, []edit.DocWrite{
		{Kind: other, ID: "r1/象宁002", Body: body(`{"condition":"完好"}`), ExpectVersion: edit.AnyVersion},
		{Kind: kind, ID: "r1", Body: r1b, ExpectVersion: 1},
		{Kind: kind, ID: "r3", Body: body(`{"year":2028}`), ExpectVersion: edit.AnyVersion},
		{Kind: other, ID: "r10/象宁001", ExpectVersion: 1},
	}, edit.Meta{Actor: "张三", Role: edit.RoleInspector, Reason: "复核"})
	if err != nil {
		t.Fatalf("WriteDocs mixed: %v", err)
	}
	if !slices.Equal(vs, []int64{1, 2, 1, 2}) {
		t.Errorf("versions after the mixed batch = %v, want [1 2 1 2]", vs)
	}
	if _, err := h.s.Doc(ctx, other, "r10/象宁001"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("deleted document: %v, want ErrNotFound", err)
	}
	if vs, err := h.s.WriteDocs(ctx, []edit.DocWrite{{Kind: other, ID: "r10/象宁001", Body: body(`{"condition":"完好"}`)}},
		meta); err != nil || vs[0] != 3 {
		t.Errorf("re-create after delete = %v, %v; want version 3", vs, err)
	}

	h.reopen()
	hist, err := h.s.History(ctx, kind, "r1")
	if err != nil || len(hist) != 2 {
		t.Fatalf("History(r1) = %d versions, %v; want 2", len(hist), err)
	}
	if string(hist[0].Record) != r1c || string(hist[1].Record) != string(r1b) {
		t.Errorf("History(r1) records = %s, %s", hist[0].Record, hist[1].Record)
	}
	if hist[0].Meta.Action != "create" || hist[1].Meta.Action != "update" || hist[1].Meta.Reason != "复核" ||
		hist[0].Meta.Actor != "联检组" {
		t.Errorf("History(r1) metas = %+v / %+v", hist[0].Meta, hist[1].Meta)
	}
	if h2, _ := h.s.History(ctx, other, "r2/象宁001"); len(h2) != 1 || h2[0].Meta.Action != "import" {
		t.Errorf("History(r2/象宁001) = %+v; want one version with the write's own action import", h2)
	}
	if h3, _ := h.s.History(ctx, other, "r10/象宁001"); len(h3) != 3 || !h3[1].Deleted() || h3[1].Meta.Action != "delete" {
		t.Errorf("History(r10/象宁001) = %+v; want create, delete, create", h3)
	}
	cur, err := h.s.Current(ctx, kind, "r1")
	if err != nil || cur.Version != 2 {
		t.Errorf("Current(r1) = %+v, %v", cur, err)
	}
	page, err := h.s.Audit(ctx, edit.AuditQuery{Target: "r1"})
	if err != nil || page.NumberMatched != 2 {
		t.Fatalf("Audit(r1) = %+v, %v; want 2 entries", page, err)
	}
	if e := page.Items[1]; e.Kind != kind || e.Version != 2 || e.Outcome != edit.OutcomeOK || e.BeforeHash != edit.Hash([]byte(r1c)) ||
		e.AfterHash != edit.Hash(r1b) || e.Actor != "张三" {
		t.Errorf("audit entry of the replace = %+v", e)
	}
	if got := fmt.Sprint(ids("r1/")); got != "[r1/象宁001 r1/象宁002]" {
		t.Errorf("after reopen Docs(r1/) = %s", got)
	}
}

// errInvalid stands for apierr.Invalid (a type, not a sentinel) in isErr.
var errInvalid = errors.New("apierr.Invalid")

func isErr(err, want error) bool {
	if want == errInvalid {
		_, ok := apierr.AsInvalid(err)
		return ok
	}
	return errors.Is(err, want)
}
