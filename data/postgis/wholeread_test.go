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
// start with SQLSTATE 57014. Here 60,000 places take about 400 ms to read (an unloaded 2-core machine), well past the
// 100 ms timeout, while the few trivial statements that Open and the read's transaction run under it (BEGIN, set_config)
// keep a wide margin on a loaded CI machine: a 1 ms timeout made Open's own backfill transaction fail there. PostGIS
// only: the embedded store has no statement timeout.
const wholeReadPlaces = 60_000

func TestWholeReadIgnoresStatementTimeout(t *testing.T) {
	ctx := context.Background()
	loader, url := openFresh(t, postgis.Options{})
	base, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	b := data.Batch{Divisions: base.Divisions, Places: storetest.SyntheticPlaces(t, wholeReadPlaces, 3)}
	if _, err := loader.Import(ctx, b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}

	st, err := postgis.Open(ctx, url, postgis.Options{StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all := []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical, gazetteer.StatusAbolished}
	pg, err := st.Places(ctx, gazetteer.PlaceQuery{Statuses: all})
	if err != nil {
		t.Fatalf("whole read under a 100 ms statement timeout: %v", err)
	}
	if len(pg.Items) != wholeReadPlaces || pg.NumberMatched != wholeReadPlaces {
		t.Errorf("whole read: %d places, %d matched; want %d", len(pg.Items), pg.NumberMatched, wholeReadPlaces)
	}
}
