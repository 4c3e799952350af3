package embedded

import (
	"testing"

	"civmap/data/storetest"
)

// BenchmarkEditPlace is storetest.BenchEditPlace on the embedded store (one fsync per edit); s.bench is the mode.
//
//	go test -run '^$' -bench EditPlace -benchtime 2s ./data/embedded/
func BenchmarkEditPlace(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchEditPlace(b, s, func(m storetest.EditMode) {
		s.bench = [...]benchMode{storetest.EditFull: benchFull, storetest.EditNoAudit: benchNoAudit,
			storetest.EditBare: benchBare}[m]
	})
}
