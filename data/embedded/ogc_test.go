package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civmap/data/sample"
	"civmap/data/storetest"
	"civmap/gazetteer"
	"civmap/internal/edit"
	"civmap/ogc"
)

// The index's k-nearest (NearestFacilities) answers as the generic search over Items (storetest.NearestMatchesScan).
func TestNearestFacilitiesMatchesScan(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.NearestMatchesScan(t, s)
}

// readSorted's cursor walk reads what a lookup per key reads: 400 random ascending key lists over a bucket of 2,000
// records (every third key in the list not stored: before the first, between, after the last), with gaps from 0 to
// 500 records between wanted keys.
func TestReadSortedMatchesGets(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("b")
	key := func(i int) string { return fmt.Sprintf("k%05d", i) }
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		for i := 0; i < 4000; i += 2 { // even numbers stored, odd ones not
			if err := b.Put([]byte(key(i)), []byte("v"+key(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ident := func(b []byte) (string, error) { return string(b), nil }
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 400 {
		var keys []string
		for i := -1 - rng.IntN(3); i < 4010; {
			k := key(max(i, 0))
			if i < 0 {
				k = "a" // before every stored key
			}
			if i >= 4000 {
				k = key(i) // after the last
			}
			keys = append(keys, k)
			i += 1 + []int{0, 1, 2, 7, 16, 17, 60, 500}[rng.IntN(8)]
		}
		keys = slices.Compact(keys)
		var got, want []string
		if err := readSorted(context.Background(), db, bucket, keys, ident, func(v string) { got = append(got, v) }); err != nil {
			t.Fatal(err)
		}
		if err := readKeys(context.Background(), db, bucket, keys, ident, func(v string) { want = append(want, v) }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Fatalf("list %d (%d keys): readSorted %d records, readKeys %d\n%v\n%v", n, len(keys), len(got), len(want), got, want)
		}
	}
}

// The index's tally of published places, an unfiltered page's numberMatched, follows imports and edits: a place
// abolished drops out, one restored to current comes back, a draft never counts; it equals a recount, and so does
// it after the store is reopened (the tally rebuilt from the stored index).
func TestPublishedTally(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	recount := func() int {
		n := 0
		for _, e := range s.places.sorted {
			if gazetteer.Published(e.status) {
				n++
			}
		}
		return n
	}
	matched := func() int {
		p, err := s.Items(ctx, ogc.Query{Collection: ogc.Places, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return p.NumberMatched
	}
	n0 := recount()
	if n0 < 20 || matched() != n0 {
		t.Fatalf("after the sample: numberMatched %d, recount %d", matched(), n0)
	}
	first := s.places.sorted[0].id
	p, err := s.Place(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	was := gazetteer.Published(p.Status)
	p.Status = gazetteer.StatusAbolished
	if p, err = s.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "edit"}); err != nil {
		t.Fatal(err)
	}
	wantAfter := n0
	if was {
		wantAfter--
	}
	if got := matched(); got != wantAfter || got != recount() {
		t.Fatalf("after abolishing %s: numberMatched %d, want %d (recount %d)", first, got, wantAfter, recount())
	}
	p.Status = gazetteer.StatusCurrent
	if _, err = s.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "edit"}); err != nil {
		t.Fatal(err)
	}
	draft := p
	draft.ID, draft.Status, draft.Version = first+"-draft", gazetteer.StatusDraft, 0
	if _, err := s.CreatePlace(ctx, draft, edit.Meta{Actor: "test", Action: "create"}); err != nil {
		t.Fatal(err)
	}
	if got := matched(); got != wantAfter+1 || got != recount() {
		t.Fatalf("after restoring %s and a draft: numberMatched %d, want %d (recount %d)", first, got, wantAfter+1, recount())
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := matched(); got != wantAfter+1 || got != recount() {
		t.Fatalf("reopened: numberMatched %d, want %d (recount %d)", got, wantAfter+1, recount())
	}
}
