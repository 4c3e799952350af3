package postgis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/internal/edit"
)

// Planted faults in the database are each reported by data.CheckStore, and a sound sample store has none: a lost
// version, a record changed behind the store's back (no version), a place without its label-grid cell, a tile id above
// its counter, a document row whose version disagrees with its history.
func TestCheckStorePlantedFaults(t *testing.T) {
	ctx := context.Background()
	s, url := openFresh(t, postgis.Options{})
	if _, err := sample.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDocs(ctx, []edit.DocWrite{{Kind: "plans", ID: "p", Body: []byte(`{"a":1}`)}}, edit.Meta{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	check := func() []string {
		var out []string
		if _, err := data.CheckStore(ctx, s, func(f data.Fault) { out = append(out, f.String()) }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if f := check(); len(f) != 0 {
		t.Fatalf("sound sample store: %v", f)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var placeID, facilityID, markerNo string
	for _, q := range []string{`SELECT id FROM places ORDER BY id LIMIT 1`, `SELECT id FROM facilities ORDER BY id LIMIT 1`,
		`SELECT number FROM markers ORDER BY number LIMIT 1`} {
		var id string
		if err := conn.QueryRow(ctx, q).Scan(&id); err != nil {
			t.Fatal(err)
		}
		switch {
		case placeID == "":
			placeID = id
		case facilityID == "":
			facilityID = id
		default:
			markerNo = id
		}
	}
	for _, q := range []string{
		`UPDATE places SET grid_x = NULL WHERE id = '` + placeID + `'`,
		`UPDATE facilities SET name = name || '（暗改）' WHERE id = '` + facilityID + `'`,
		`UPDATE markers SET tile_id = 100000 WHERE number = '` + markerNo + `'`,
		`UPDATE docs SET version = 5 WHERE kind = 'plans' AND id = 'p'`,
		`DELETE FROM versions WHERE kind = 'demand' AND id = (SELECT min(code) FROM demand_units)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var demandCode string
	if err := conn.QueryRow(ctx, `SELECT min(code) FROM demand_units`).Scan(&demandCode); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(check(), "\n")
	for _, want := range []string{
		`places "` + placeID + `": tile id`,
		`facilities "` + facilityID + `": the stored record differs from its last version (1)`,
		`markers "` + markerNo + `": tile id 100000 above the layer's counter`,
		`plans "p": the document is at version 5, its history at 1`,
		`demand "` + demandCode + `": stored, but has no history`,
		`demand "` + demandCode + `": the audit log names version 1, which the history (0 versions) lacks`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckStore faults lack %q; got:\n%s", want, got)
		}
	}
}
