package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/internal/edit"
)

// EditMode is what a store's UpdatePlace leaves out in BenchEditPlace: EditFull records the version and the audit
// entry, EditNoAudit the version only (a no-op audit), EditBare neither (the bare write of the record).
type EditMode int

const (
	EditFull EditMode = iota
	EditNoAudit
	EditBare
)

// BenchEditPlace is both stores' BenchmarkEditPlace: it measures single-place edits (UpdatePlace, one transaction
// each, as a PATCH makes them) with history and audit on, against the same edits with a no-op audit and with neither,
// in the same run. Each iteration edits three places of s in turn, one per mode, calling setMode before each edit (the
// store's own switch, set back to EditFull at the end) and timing each edit, so that machine load falls on the three
// alike. Metrics: edits/s of each mode, and the cost ratios audit-x = full/no-audit time (the audit entry's cost) and
// history+audit-x = full/bare time (issue 6's target: at most 1.3). ns/op is one iteration, i.e. three edits. s must
// be empty; it is left open.
func BenchEditPlace(b *testing.B, s data.Store, setMode func(EditMode)) {
	ctx := context.Background()
	modes := []EditMode{EditFull, EditNoAudit, EditBare}
	batch := data.Batch{Divisions: []gazetteer.Division{{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty,
		Kind: "county", ParentCode: "330200"}}}
	for i := range modes {
		batch.Places = append(batch.Places, gazetteer.Place{ID: fmt.Sprintf("bench-%d", i), Name: fmt.Sprintf("基准路%d", i),
			Category: "road", Status: gazetteer.StatusCurrent, DivisionCodes: []string{"330225"},
			Geometry: orb.Point{121.87 + float64(i)*0.001, 29.47}, Description: "基准"})
	}
	if _, err := s.Import(ctx, batch, edit.Meta{Actor: "bench", Action: "import"}); err != nil {
		b.Fatal(err)
	}
	places := make([]gazetteer.Place, len(modes))
	for i := range places {
		var err error
		if places[i], err = s.Place(ctx, batch.Places[i].ID); err != nil {
			b.Fatal(err)
		}
	}
	meta := edit.Meta{Actor: "bench", Role: edit.RoleEditor, Action: "update", RequestID: "bench", ClientAddr: "127.0.0.1"}
	spent := make([]time.Duration, len(modes))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i, m := range modes {
			p := places[i]
			p.Description = fmt.Sprintf("第%d次编辑", n)
			setMode(m)
			t0 := time.Now()
			out, err := s.UpdatePlace(ctx, p, p.Version, meta)
			spent[i] += time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			places[i] = out
		}
	}
	b.StopTimer()
	setMode(EditFull)
	per := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
	b.ReportMetric(per(spent[0]), "edits/s")
	b.ReportMetric(per(spent[1]), "noaudit-edits/s")
	b.ReportMetric(per(spent[2]), "bare-edits/s")
	b.ReportMetric(spent[0].Seconds()/spent[1].Seconds(), "audit-x")
	b.ReportMetric(spent[0].Seconds()/spent[2].Seconds(), "history+audit-x")
	// The full mode really recorded every edit: one version and one ok audit entry each.
	if h, err := s.History(ctx, edit.KindPlace, places[0].ID); err != nil || int64(len(h)) != places[0].Version {
		b.Fatalf("history of the audited place: %d versions, %v; want %d", len(h), err, places[0].Version)
	}
	if a, err := s.Audit(ctx, edit.AuditQuery{Target: places[0].ID}); err != nil || int64(a.NumberMatched) != places[0].Version {
		b.Fatalf("audit of the audited place: %d entries, %v; want %d", a.NumberMatched, err, places[0].Version)
	}
}
