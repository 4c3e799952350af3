package storetest

import (
	"encoding/json"
	"testing"

	"civmap/data"
	"civmap/internal/edit"
)

// testCheckStore: after an import, single edits of every kind, a delete and document writes, data.CheckStore finds no
// fault on either store and counts every record, version and audit entry; it also runs after a reopen.
func testCheckStore(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	p, err := h.s.Place(ctx, "B-001")
	if err != nil {
		t.Fatal(err)
	}
	p.Name = p.Name + "（改）"
	if _, err := h.s.UpdatePlace(ctx, p, p.Version, testMeta); err != nil {
		t.Fatal(err)
	}
	f, err := h.s.Facility(ctx, "F-002")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.DeleteFacility(ctx, f.ID, f.Version, testMeta); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.WriteDocs(ctx, []edit.DocWrite{{Kind: "test-docs", ID: "a", Body: json.RawMessage(`{"n":1}`)},
		{Kind: "test-docs", ID: "b", Body: json.RawMessage(`{"n":2}`)}}, testMeta); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.WriteDocs(ctx, []edit.DocWrite{{Kind: "test-docs", ID: "b", ExpectVersion: 1}}, testMeta); err != nil {
		t.Fatal(err)
	}
	b := fixture()
	records := len(b.Divisions) + len(b.Places) + len(b.Lines) + len(b.Markers) + len(b.Facilities) + len(b.Demand)
	for _, pass := range []string{"first", "after reopen"} {
		var faults []data.Fault
		sum, err := data.CheckStore(ctx, h.s, func(f data.Fault) { faults = append(faults, f) })
		if err != nil {
			t.Fatalf("%s: CheckStore: %v", pass, err)
		}
		if len(faults) > 0 || sum.Faults != 0 {
			t.Errorf("%s: CheckStore on a sound store found %d faults: %v", pass, sum.Faults, faults)
		}
		// Every imported record, less the deleted facility, plus the document left; versions: one per imported record,
		// the place's update, the facility's delete and three document writes.
		if want := records - 1 + 1; sum.Records != want {
			t.Errorf("%s: CheckStore counted %d records, want %d", pass, sum.Records, want)
		}
		if want := records + 1 + 1 + 3; sum.Versions != want || sum.Audit != want {
			t.Errorf("%s: CheckStore counted %d versions and %d audit entries, want %d of each", pass, sum.Versions, sum.Audit, want)
		}
		if sum.Indexes == 0 {
			t.Errorf("%s: the store's own index check verified nothing", pass)
		}
		h.reopen()
	}
}
