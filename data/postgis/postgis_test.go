package postgis_test

import (
	"context"
	"testing"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/data/storetest"
)

// TestConformance runs the store contract (data/storetest) against a fresh database per subtest.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		url := pgtest.NewDatabase(t)
		return func() (data.Store, error) {
			return postgis.Open(context.Background(), url, postgis.Options{})
		}
	})
}
