package inspection

import (
	"testing"

	"civmap/internal/edit"
)

// TestDocVersions: every write to a document the round's report reads (a marker finding recorded, changed, and
// recorded again as first after a delete; a line finding; the line's agreement; the neighbour polygon of its right
// side; the round itself) gives a state never seen before, a delete the state of the documents left, while writes to another round's documents, to the polygon of a
// county beside neither side, and a write of a body already stored (no new version) leave it as it was.
func TestDocVersions(t *testing.T) {
	st := newFakeStore(t)
	svc := &Service{Store: st}
	ctx := inspector()
	in := RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20"}
	rd, err := svc.CreateRound(ctx, "象宁线", in)
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateRound(ctx, "象宁线", in)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	state := func() string {
		t.Helper()
		s, err := svc.DocVersions(ctx, rd.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	changes := func(what string, write func()) {
		t.Helper()
		write()
		s := state()
		if prev, ok := seen[s]; ok {
			t.Errorf("after %s the state is the one after %s:\n%s", what, prev, s)
		}
		seen[s] = what
	}
	same := func(what string, write func()) {
		t.Helper()
		before := state()
		write()
		if s := state(); s != before {
			t.Errorf("%s changed the state:\n%s\nwas\n%s", what, s, before)
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	finding := FindingInput{MarkerNo: "象宁004", InspectedOn: "2023-04-12", Condition: "missing"}
	changes("nothing", func() {})
	changes("a finding", func() { must(svc.RecordFinding(ctx, rd.ID, finding)) })
	same("the same finding again", func() { must(svc.RecordFinding(ctx, rd.ID, finding)) })
	changes("a changed finding", func() {
		f := finding
		f.Note = "界桩基座尚存"
		must(svc.RecordFinding(ctx, rd.ID, f))
	})
	// A delete brings back the documents, hence the report, of "nothing"; recorded again, the finding is a new version.
	before := state()
	must(st.WriteDocs(ctx, []edit.DocWrite{{Kind: KindMarkerFinding, ID: rd.ID + "/象宁004", ExpectVersion: edit.AnyVersion}}, edit.Meta{}))
	if s := state(); s == before || seen[s] != "nothing" {
		t.Errorf("after the finding's delete the state is\n%s\nwant the one of no finding", s)
	}
	changes("the first finding recorded again", func() { must(svc.RecordFinding(ctx, rd.ID, finding)) })
	changes("a line finding", func() {
		must(svc.AddLineFinding(ctx, rd.ID, LineFinding{FromMarker: "象宁002", ToMarker: "象宁004", Change: "新修道路"}))
	})
	changes("the line's agreement", func() {
		must(st.WriteDocs(ctx, []edit.DocWrite{{Kind: KindLineAgreement, ID: "象宁线", Body: []byte(`{"registered_length_m":70000}`),
			ExpectVersion: edit.AnyVersion}}, edit.Meta{}))
	})
	changes("the right side's neighbour polygon", func() { putNeighbour(t, st, "330226", "宁海县") })
	changes("the round", func() {
		must(st.WriteDocs(ctx, []edit.DocWrite{{Kind: KindRound, ID: rd.ID, Body: []byte(`{"id":"` + rd.ID +
			`","line_id":"象宁线","year":2023,"teams":[],"started_on":"2023-04-10","ended_on":"2023-04-21","tolerance_m":1}`),
			ExpectVersion: edit.AnyVersion}}, edit.Meta{}))
	})
	same("another round's finding", func() { must(svc.RecordFinding(ctx, other.ID, finding)) })
	same("another county's polygon", func() { putNeighbour(t, st, "330213", "奉化区") })
	if _, err := svc.DocVersions(ctx, "象宁线-1999"); err == nil {
		t.Error("a round that does not exist has a state")
	}
}
