package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// The contract of versions and audit (issue 6): every write makes a version (the record's API document, data.Document)
// and an OK audit entry in its transaction; a refused or rolled-back write leaves neither; an identical re-import makes
// none and says so; both stores answer History, Current and Audit the same.
var versionTests = []struct {
	name string
	fn   func(t *testing.T, h *harness)
}{
	{"VersionsOfEveryKind", testVersionsEveryKind},
	{"PutDeleteEveryKind", testPutDeleteEveryKind},
	{"PlaceVersionsAndAudit", testPlaceVersionsAudit},
	{"RefusedWritesLeaveNothing", testRefusedWritesLeaveNothing},
	{"ImportNoOpAndDryRun", testImportNoOpDryRun},
	{"AuditQuery", testAuditQuery},
}

func auditAll(t *testing.T, s data.Store) []edit.AuditEntry {
	t.Helper()
	page, err := s.Audit(t.Context(), edit.AuditQuery{})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if page.NumberMatched != len(page.Items) {
		t.Fatalf("Audit: numberMatched %d, %d items", page.NumberMatched, len(page.Items))
	}
	return page.Items
}

func history(t *testing.T, s data.Store, kind edit.Kind, id string) []edit.Version {
	t.Helper()
	vs, err := s.History(t.Context(), kind, id)
	if err != nil {
		t.Fatalf("History(%s, %q): %v", kind, id, err)
	}
	for i, v := range vs {
		if v.Version != int64(i+1) || v.Kind != kind || v.ID != id {
			t.Fatalf("History(%s, %q)[%d] = %s %q v%d; want versions 1, 2, … without gaps", kind, id, i, v.Kind, v.ID, v.Version)
		}
	}
	return vs
}

func sameJSON(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatalf("%s: want is not JSON: %v", what, err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("%s: got is not JSON: %v (%s)", what, err, got)
	}
	wa, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	if string(wa) != string(gb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wa)
	}
}

func testVersionsEveryKind(t *testing.T, h *harness) {
	ctx := t.Context()
	meta := edit.Meta{Actor: "loader", Role: edit.RoleAdmin, Action: "import", Reason: "fixture.geojson",
		RequestID: "req-1", ClientAddr: "192.0.2.1:5000"}
	b := fixture()
	if _, err := h.s.Import(ctx, b, meta); err != nil {
		t.Fatal(err)
	}
	d, _ := h.s.Division(ctx, codeA)
	p, _ := h.s.Place(ctx, "B-001")
	l, _ := h.s.BoundaryLine(ctx, "象宁线")
	m, err := h.s.Marker(ctx, "象宁006A")
	if err != nil {
		t.Fatalf("Marker: %v", err)
	}
	f, _ := h.s.Facility(ctx, "F-001")
	u, err := h.s.DemandUnit(ctx, "330225001001")
	if err != nil {
		t.Fatalf("DemandUnit: %v", err)
	}
	for _, c := range []struct {
		kind edit.Kind
		id   string
		rec  any
	}{
		{edit.KindDivision, codeA, &d}, {edit.KindPlace, "B-001", &p}, {edit.KindLine, "象宁线", &l},
		{edit.KindMarker, "象宁006A", &m}, {edit.KindFacility, "F-001", &f}, {edit.KindDemand, "330225001001", &u},
	} {
		vs := history(t, h.s, c.kind, c.id)
		if len(vs) != 1 {
			t.Errorf("%s %s: %d versions after one import, want 1", c.kind, c.id, len(vs))
			continue
		}
		v := vs[0]
		if v.Meta.Actor != "loader" || v.Meta.Role != edit.RoleAdmin || v.Meta.Action != "import" ||
			v.Meta.Reason != "fixture.geojson" || v.Meta.RequestID != "req-1" || v.Meta.ClientAddr != "192.0.2.1:5000" ||
			v.Meta.Time.IsZero() {
			t.Errorf("%s %s: meta %+v", c.kind, c.id, v.Meta)
		}
		doc, err := data.Document(c.rec)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, string(c.kind)+" version 1 record", doc, v.Record)
		cur, err := h.s.Current(ctx, c.kind, c.id)
		if err != nil || cur.Version != 1 {
			t.Errorf("%s %s: Current = v%d, %v", c.kind, c.id, cur.Version, err)
		}
	}
	au := auditAll(t, h.s)
	if len(au) != b.Len() {
		t.Fatalf("audit after importing %d records: %d entries", b.Len(), len(au))
	}
	for i, e := range au {
		if e.Outcome != edit.OutcomeOK || e.Actor != "loader" || e.Action != "import" || e.Version != 1 ||
			e.BeforeHash != "" || len(e.AfterHash) != 64 || e.TargetID == "" || e.RequestID != "req-1" ||
			(i > 0 && e.Seq <= au[i-1].Seq) {
			t.Errorf("audit[%d] = %+v", i, e)
		}
	}
	if _, err := h.s.History(ctx, edit.KindPlace, "no-such"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("History of an unknown record: %v, want ErrNotFound", err)
	}
	if _, err := h.s.Current(ctx, edit.KindFacility, "no-such"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Current of an unknown record: %v, want ErrNotFound", err)
	}
	h.reopen()
	if vs := history(t, h.s, edit.KindMarker, "象宁006A"); len(vs) != 1 {
		t.Errorf("after reopen: %d versions", len(vs))
	}
	if n := len(auditAll(t, h.s)); n != b.Len() {
		t.Errorf("after reopen: %d audit entries, want %d", n, b.Len())
	}
}

func testPutDeleteEveryKind(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	meta := edit.Meta{Actor: "张三", Role: edit.RoleEditor, Reason: "核对"}
	type op struct {
		kind   edit.Kind
		id     string
		put    func(expect int64) (int64, error)
		del    func(expect int64) (int64, error)
		reread func() (any, error)
	}
	d := fixtureDivisions()[2]
	d.Name = "改名街道"
	l := fixtureLines()[2]
	l.RightName = "奉化区（改）"
	m := fixtureMarkers()[1] // 象宁001
	m.Material = "不锈钢"
	f := fixtureFacilities()[3]
	f.Status = "existing"
	u := fixtureDemand()[3]
	u.ElderlyPopulation = 17
	ops := []op{
		{edit.KindDivision, d.Code,
			func(e int64) (int64, error) { return h.s.PutDivision(ctx, d, e, meta) },
			func(e int64) (int64, error) { return h.s.DeleteDivision(ctx, d.Code, e, meta) },
			func() (any, error) { return h.s.Division(ctx, d.Code) }},
		{edit.KindMarker, m.Number,
			func(e int64) (int64, error) { return h.s.PutMarker(ctx, m, e, meta) },
			func(e int64) (int64, error) { return h.s.DeleteMarker(ctx, m.Number, e, meta) },
			func() (any, error) { return h.s.Marker(ctx, m.Number) }},
		{edit.KindLine, l.ID, // 象奉线: its one marker 象奉001 is deleted just before
			func(e int64) (int64, error) { return h.s.PutBoundaryLine(ctx, l, e, meta) },
			func(e int64) (int64, error) { return h.s.DeleteBoundaryLine(ctx, l.ID, e, meta) },
			func() (any, error) { return h.s.BoundaryLine(ctx, l.ID) }},
		{edit.KindFacility, f.ID,
			func(e int64) (int64, error) { return h.s.PutFacility(ctx, f, e, meta) },
			func(e int64) (int64, error) { return h.s.DeleteFacility(ctx, f.ID, e, meta) },
			func() (any, error) { return h.s.Facility(ctx, f.ID) }},
		{edit.KindDemand, u.Code,
			func(e int64) (int64, error) { return h.s.PutDemandUnit(ctx, u, e, meta) },
			func(e int64) (int64, error) { return h.s.DeleteDemandUnit(ctx, u.Code, e, meta) },
			func() (any, error) { return h.s.DemandUnit(ctx, u.Code) }},
	}
	// A line that still has markers cannot be deleted.
	if _, err := h.s.DeleteBoundaryLine(ctx, "象宁线", 1, meta); !errors.Is(err, apierr.ErrConflict) {
		t.Errorf("delete a line with markers: %v, want ErrConflict", err)
	}
	for _, o := range ops {
		what := string(o.kind) + " " + o.id
		before := len(auditAll(t, h.s))
		if _, err := o.put(0); !errors.Is(err, apierr.ErrConflict) {
			t.Errorf("%s: create over an existing record: %v, want ErrConflict", what, err)
		}
		if _, err := o.put(7); !errors.Is(err, apierr.ErrVersionMismatch) {
			t.Errorf("%s: put at a stale version: %v, want ErrVersionMismatch", what, err)
		}
		if _, err := o.del(5); !errors.Is(err, apierr.ErrVersionMismatch) {
			t.Errorf("%s: delete at a stale version: %v, want ErrVersionMismatch", what, err)
		}
		if n := len(auditAll(t, h.s)); n != before {
			t.Errorf("%s: refused writes added %d audit entries", what, n-before)
		}
		if v, err := o.put(1); err != nil || v != 2 {
			t.Fatalf("%s: put at version 1 = %d, %v; want version 2", what, v, err)
		}
		rec, err := o.reread()
		if err != nil {
			t.Fatal(err)
		}
		vs := history(t, h.s, o.kind, o.id)
		if len(vs) != 2 || vs[1].Meta.Actor != "张三" || vs[1].Meta.Action != "update" || vs[1].Meta.Reason != "核对" {
			t.Fatalf("%s: history after put: %+v", what, vs)
		}
		doc, _ := data.Document(rec)
		sameJSON(t, what+" version 2", doc, vs[1].Record)
		if v, err := o.del(2); err != nil || v != 3 {
			t.Fatalf("%s: delete = %d, %v; want version 3", what, v, err)
		}
		if _, err := o.reread(); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("%s: read after delete: %v, want ErrNotFound", what, err)
		}
		if _, err := h.s.Current(ctx, o.kind, o.id); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("%s: Current after delete: %v, want ErrNotFound", what, err)
		}
		vs = history(t, h.s, o.kind, o.id)
		if len(vs) != 3 || !vs[2].Deleted() || vs[2].Meta.Action != "delete" {
			t.Errorf("%s: history after delete: %d versions, last deleted %v", what, len(vs), len(vs) == 3 && vs[2].Deleted())
		}
		if _, err := o.del(3); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("%s: delete of a deleted record: %v, want ErrNotFound", what, err)
		}
		// Creating it again continues the numbering.
		if v, err := o.put(0); err != nil || v != 4 {
			t.Errorf("%s: re-create = %d, %v; want version 4", what, v, err)
		}
		au := auditAll(t, h.s)
		if n := len(au) - before; n != 3 {
			t.Errorf("%s: %d audit entries for put, delete, create; want 3", what, n)
		} else {
			put, del, re := au[len(au)-3], au[len(au)-2], au[len(au)-1]
			if put.BeforeHash == "" || put.AfterHash == "" || del.BeforeHash != put.AfterHash || del.AfterHash != "" ||
				re.BeforeHash != "" || re.AfterHash != put.AfterHash || re.Action != "create" || re.Version != 4 {
				t.Errorf("%s: audit hashes put %+v del %+v create %+v", what, put, del, re)
			}
		}
		if o.kind == edit.KindMarker {
			if _, err := h.s.DeleteMarker(ctx, "象奉001", 1, meta); err != nil {
				t.Fatalf("delete 象奉001: %v", err)
			}
		}
	}
	bad := fixtureMarkers()[0]
	bad.Number, bad.LineID = "象无001", "无此线"
	if _, err := h.s.PutMarker(ctx, bad, 0, meta); err == nil {
		t.Errorf("marker on an unknown line accepted")
	}
	if _, err := h.s.History(ctx, edit.KindMarker, "象无001"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("refused marker has a history: %v", err)
	}
	// Tiles and indexes follow: the deleted facility is gone from lists.
	if page, _ := h.s.Facilities(ctx, facilities.FacilityQuery{}); len(page.Items) != len(fixtureFacilities()) {
		t.Errorf("facilities after delete and re-create: %d", len(page.Items))
	}
	if got, err := h.s.Division(ctx, d.Code); err != nil || got.Name != "改名街道" {
		t.Errorf("division after re-create: %+v, %v", got, err)
	}
}

func testPlaceVersionsAudit(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	meta := edit.Meta{Actor: "李四", Role: edit.RoleEditor, Action: "create", Reason: "新增", RequestID: "r-9"}
	p := fullPlace("P-9")
	made, err := h.s.CreatePlace(ctx, p, meta)
	if err != nil {
		t.Fatal(err)
	}
	meta.Action = "update"
	next := made
	next.Name = "新名"
	upd, err := h.s.UpdatePlace(ctx, next, 1, meta)
	if err != nil {
		t.Fatal(err)
	}
	vs := history(t, h.s, edit.KindPlace, "P-9")
	if len(vs) != 2 || vs[0].Meta.Action != "create" || vs[1].Meta.Action != "update" || vs[1].Meta.RequestID != "r-9" {
		t.Fatalf("history: %+v", vs)
	}
	for i, want := range []gazetteer.Place{made, upd} {
		doc, _ := data.Document(&want)
		sameJSON(t, "place version", doc, vs[i].Record)
	}
	cur, err := h.s.Current(ctx, edit.KindPlace, "P-9")
	if err != nil || cur.Version != 2 {
		t.Errorf("Current: v%d, %v", cur.Version, err)
	}
	au := auditAll(t, h.s)
	c, u := au[len(au)-2], au[len(au)-1]
	hashMade, _ := data.ContentHash(&made)
	hashUpd, _ := data.ContentHash(&upd)
	if c.TargetID != "P-9" || c.Kind != edit.KindPlace || c.Version != 1 || c.BeforeHash != "" || c.AfterHash != hashMade ||
		u.Version != 2 || u.BeforeHash != hashMade || u.AfterHash != hashUpd || u.Actor != "李四" || u.Message != "新增" {
		t.Errorf("audit: %+v then %+v", c, u)
	}
}

func testRefusedWritesLeaveNothing(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	before := len(auditAll(t, h.s))
	p, _ := h.s.Place(ctx, "B-001")
	if _, err := h.s.UpdatePlace(ctx, p, p.Version+1, testMeta); !errors.Is(err, apierr.ErrVersionMismatch) {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := h.s.CreatePlace(ctx, p, testMeta); !errors.Is(err, apierr.ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	b := fixture()
	b.Places[0].Name = "不该写入"
	b.Markers = append(b.Markers, gazetteer.Marker{Number: "X-1", LineID: "无此线", Position: orb.Point{121, 29}})
	if _, err := h.s.Import(ctx, b, testMeta); err == nil {
		t.Fatal("a batch with a bad marker went in")
	}
	if n := len(auditAll(t, h.s)); n != before {
		t.Errorf("refused writes left %d audit entries", n-before)
	}
	if vs := history(t, h.s, edit.KindPlace, b.Places[0].ID); len(vs) != 1 {
		t.Errorf("refused writes left versions: %d", len(vs))
	}
	// A refused write is logged by whoever refused it, with AppendAudit, and nothing else is written.
	if err := h.s.AppendAudit(ctx, edit.AuditEntry{Actor: "anonymous", Action: "update", Outcome: edit.OutcomeRefused,
		Status: 412, Kind: edit.KindPlace, TargetID: "B-001", Message: "stale"}); err != nil {
		t.Fatal(err)
	}
	au := auditAll(t, h.s)
	if len(au) != before+1 || au[before].Outcome != edit.OutcomeRefused || au[before].Time.IsZero() ||
		au[before].Seq <= au[before-1].Seq {
		t.Errorf("appended entry: %+v", au[len(au)-1])
	}
}

func testImportNoOpDryRun(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	au := len(auditAll(t, h.s))
	b := fixture()
	b.Places[1].Name = "丹城新路" // B-001
	b.Facilities[0].Location = orb.Point{121.061, 29.06}
	b.DryRun = true
	st, err := h.s.Import(ctx, b, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if counts(st) != (importCounts{Updated: 2, Unchanged: b.Len() - 2}) || len(st.Results) != b.Len() {
		t.Fatalf("dry run: %+v, %d results", counts(st), len(st.Results))
	}
	got := map[string]data.RecordResult{}
	for _, r := range st.Results {
		got[string(r.Kind)+"/"+r.ID] = r
	}
	if r := got["places/B-001"]; r.Result != data.ResultChanged || !slices.Equal(r.Fields, []string{"name"}) || r.Version != 2 {
		t.Errorf("dry run B-001: %+v", r)
	}
	if r := got["facilities/养老-02"]; r.Result != data.ResultChanged || !slices.Equal(r.Fields, []string{"geometry"}) {
		t.Errorf("dry run 养老-02: %+v", r)
	}
	if r := got["markers/象宁001"]; r.Result != data.ResultUnchanged {
		t.Errorf("dry run 象宁001: %+v", r)
	}
	if p, _ := h.s.Place(ctx, "B-001"); p.Name == "丹城新路" || p.Version != 1 {
		t.Errorf("dry run wrote: %+v", p)
	}
	if n := len(auditAll(t, h.s)); n != au {
		t.Errorf("dry run audited %d entries", n-au)
	}
	b.DryRun = false
	b.Places = append(b.Places, gazetteer.Place{ID: "新-1", Name: "新桥", Category: "bridge",
		Status: gazetteer.StatusCurrent, Geometry: orb.Point{121.11, 29.11}})
	time.Sleep(time.Millisecond)
	st = h.load(b)
	if counts(st) != (importCounts{Inserted: 1, Updated: 2, Unchanged: b.Len() - 3}) {
		t.Errorf("real run: %+v", counts(st))
	}
	if n := len(auditAll(t, h.s)) - au; n != 3 {
		t.Errorf("real run: %d audit entries, want 3 (one per changed record)", n)
	}
	if vs := history(t, h.s, edit.KindPlace, "B-001"); len(vs) != 2 {
		t.Errorf("B-001: %d versions", len(vs))
	}
	if vs := history(t, h.s, edit.KindMarker, "象宁001"); len(vs) != 1 {
		t.Errorf("unchanged marker: %d versions", len(vs))
	}
	if f, _ := h.s.Facility(ctx, "养老-02"); f.Version != 2 {
		t.Errorf("facility version %d, want 2", f.Version)
	}
}

func testAuditQuery(t *testing.T, h *harness) {
	ctx := t.Context()
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	for i, e := range []edit.AuditEntry{
		{Actor: "a", Action: "update", Outcome: edit.OutcomeRefused, Status: 403, TargetID: "x", Time: t0},
		{Actor: "b", Action: "sign-in", Outcome: edit.OutcomeDenied, Status: 401, Time: t0.Add(time.Hour)},
		{Actor: "a", Action: "update", Outcome: edit.OutcomeRefused, Status: 412, TargetID: "y", Time: t0.Add(2 * time.Hour)},
		{Actor: "a", Action: "delete", Outcome: edit.OutcomeRefused, Status: 409, TargetID: "x", Time: t0.Add(3 * time.Hour)},
	} {
		if err := h.s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	for _, c := range []struct {
		q       edit.AuditQuery
		matched int
		status  []int
	}{
		{edit.AuditQuery{}, 4, []int{403, 401, 412, 409}},
		{edit.AuditQuery{Actor: "a"}, 3, []int{403, 412, 409}},
		{edit.AuditQuery{Target: "x"}, 2, []int{403, 409}},
		{edit.AuditQuery{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, 2, []int{401, 412}},
		{edit.AuditQuery{Actor: "a", Limit: 1, Offset: 1}, 3, []int{412}},
		{edit.AuditQuery{Offset: 9}, 4, nil},
	} {
		page, err := h.s.Audit(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, e := range page.Items {
			got = append(got, e.Status)
		}
		if page.NumberMatched != c.matched || !slices.Equal(got, c.status) {
			t.Errorf("Audit(%+v) = %d matched, statuses %v; want %d, %v", c.q, page.NumberMatched, got, c.matched, c.status)
		}
	}
}
