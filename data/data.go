// Package data joins the domain packages' store contracts into one Store that cmd/civmap opens, and defines the Batch that
// an import writes in one transaction. data/embedded and data/postgis implement it; data/storetest is its contract.
package data

import (
	"context"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/auth"
	"civmap/internal/edit"
)

// Batch is everything one import writes, in one transaction: all of it or none.
type Batch struct {
	Divisions  []gazetteer.Division
	Places     []gazetteer.Place
	Lines      []gazetteer.BoundaryLine
	Markers    []gazetteer.Marker
	Facilities []facilities.Facility
	Demand     []facilities.DemandUnit

	// DryRun makes Import compute what it would do (ImportStats with every record's Result) and write nothing.
	DryRun bool
}

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	return len(b.Divisions) + len(b.Places) + len(b.Lines) + len(b.Markers) + len(b.Facilities) + len(b.Demand)
}

// ChangeBoundsLimit is the largest batch whose tile change a store reports record by record (the old and new bound of
// each); a larger one reports its layers as wholly changed, which costs the cache more but the import nothing.
const ChangeBoundsLimit = 10000

// ChangedLayers names the tile layers (package tiles) that writing b touches, in registry order.
func (b *Batch) ChangedLayers() []string {
	var out []string
	for _, l := range []struct {
		name string
		n    int
	}{
		{"divisions", len(b.Divisions)}, {"places", len(b.Places)}, {"boundary_lines", len(b.Lines)},
		{"markers", len(b.Markers)}, {"facilities", len(b.Facilities)}, {"demand", len(b.Demand)},
	} {
		if l.n > 0 {
			out = append(out, l.name)
		}
	}
	return out
}

// ImportStats counts what an import did: records inserted new, records that replaced one with the same key, and records
// identical to the stored one (no version made). Results lists every record (always in a dry run; in a real run for
// batches up to ResultsLimit records), in the order the store wrote them.
type ImportStats struct {
	Inserted  int            `json:"inserted"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Results   []RecordResult `json:"results,omitempty"`
}

// Store is a complete civmap store.
type Store interface {
	gazetteer.Store
	facilities.Store
	edit.Store
	edit.Current
	edit.DocStore // documents: kinds without a table of their own
	auth.Store    // API tokens

	// Import writes b in one transaction, upserting by natural key (division code, place ID, line ID, marker number,
	// facility ID, demand-unit code), so importing the same batch twice leaves one copy. Every record that is new or
	// differs from the stored one (ContentHash) gets a new version (edit.Version with meta, Action "import" when meta's
	// is empty) and an audit entry in the same transaction; a record identical to the stored one is left alone and
	// counted Unchanged. A place that is replaced keeps its CreatedAt and gets Version+1; a new place gets Version 1.
	// Facilities likewise get Version 1 or +1, with UpdatedAt = now; the store sets Version, CreatedAt and UpdatedAt and
	// ignores the batch's. With b.DryRun nothing is written.
	// Divisions are written before the records that refer to them. The caller has validated b (data/ingest); the store
	// itself rejects the whole batch, before writing anything, when a natural key is empty (apierr.Invalid), a key
	// repeats within one kind (apierr.ErrConflict), or a marker's LineID is in neither the batch nor the store
	// (apierr.Invalid). Marker numbers carry their line's prefix (象宁001) and are unique across the county.
	Import(ctx context.Context, b Batch, meta edit.Meta) (ImportStats, error)
	// EachVersion calls fn with every stored version of every record, deleted ones included: grouped by record (kind
	// and id), oldest first within one. It stops at fn's first error and returns it (CheckStore walks it).
	EachVersion(ctx context.Context, fn func(edit.Version) error) error
	// Empty reports whether the store holds no divisions (a fresh store, to be loaded with the sample).
	Empty(ctx context.Context) (bool, error)
	// Ready reports nil once the store is open and its indexes are built.
	Ready(ctx context.Context) error
	// Close releases the store; a closed embedded store can be opened again by another process.
	Close() error
}
