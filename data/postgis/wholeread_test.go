package postgis_test

import (
	"context"
	"testing"
	"time"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/data/storetest"
	"civmap/gazetteer"
	"civmap/internal/edit"
)

// TestWholeReadIgnoresStatementTimeout: a read of every place (Limit 0: the search index's load at start-up) is not cut
// by Options.StatementTimeout, which bounds requests; the province scale run's 5.5 M places failed `civmap serve`'s
// start with SQLSTATE 57014. Here 20,000 places cannot be counted and read in 1 ms. PostGIS only: the embedded store
// has no statement timeout.
func TestWholeReadIgnoresStatementTimeout(t *testing.T) {
	ctx := context.Background()
	loader, url := openFresh(t, postgis.Options{})
	base, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	b := data.Batch{Divisions: base.Divisions, Places: storetest.SyntheticPlaces(t, 20_000, 3)}
	if _, err := loader.Import(ctx, b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}

	st, err := postgis.Open(ctx, url, postgis.Options{StatementTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all := []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical, gazetteer.StatusAbolished}
	pg, err := st.Places(ctx, gazetteer.PlaceQuery{Statuses: all})
	if err != nil {
		t.Fatalf("whole read under a 1 ms statement timeout: %v", err)
	}
	if len(pg.Items) != 20_000 || pg.NumberMatched != 20_000 {
		t.Errorf("whole read: %d places, %d matched; want 20000", len(pg.Items), pg.NumberMatched)
	}
}
