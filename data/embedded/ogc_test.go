package embedded

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	bolt "go.etcd.io/bbolt"

	"civmap/data/sample"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/edit"
	"civmap/ogc"
)

// scanOnly hides the store's NearestFinder: ogc.Nearest through it takes the generic circle search over Items.
type scanOnly struct{ ogc.FeatureStore }

// The index's k-nearest (NearestFacilities) answers as the generic search over Items does (ogc.NearestScan): the same
// features, properties included, in the same order at the same distances, for 300 random points in and around the
// county (some far out at sea, where the circles grow to tens of kilometres), k from 1 to 30, and random type and
// status sets (some matching nothing).
func TestNearestFacilitiesMatchesScan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := sample.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := ogc.FeatureStore(scanOnly{s}).(ogc.NearestFinder); ok {
		t.Fatal("scanOnly must hide NearestFacilities")
	}
	types := append(slices.Sorted(maps.Keys(facilities.Types)), "none_such")
	statuses := slices.Sorted(maps.Keys(facilities.Statuses))
	rng := rand.New(rand.NewPCG(7, 2026))
	pick := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if rng.IntN(3) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	full := 0
	for i := range 300 {
		p := orb.Point{121.55 + 0.5*rng.Float64(), 29.05 + 0.6*rng.Float64()}
		if i%10 == 0 { // out at sea, 50–100 km east
			p[0] += 0.5 + 0.5*rng.Float64()
		}
		k := 1 + rng.IntN(30)
		ts, ss := pick(types), pick(statuses)
		name := fmt.Sprintf("query %d at %v k=%d types=%v statuses=%v", i, p, k, ts, ss)
		got, err := ogc.Nearest(ctx, s, p, k, ts, ss)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := ogc.Nearest(ctx, scanOnly{s}, p, k, ts, ss)
		if err != nil {
			t.Fatalf("%s: scan: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\nindex %v\nscan  %v", name, summary(got), summary(want))
		}
		if !slices.IsSortedFunc(got, func(a, b ogc.Near) int {
			return cmp.Compare(a.DistanceM, b.DistanceM)
		}) {
			t.Fatalf("%s: not nearest first: %v", name, summary(got))
		}
		if len(got) == k {
			full++
		}
		for _, n := range got {
			if n.Properties["id"] != n.ID || n.Properties["name"] == nil {
				t.Fatalf("%s: %s has properties %v", name, n.ID, n.Properties)
			}
		}
	}
	if full < 150 {
		t.Fatalf("only %d of 300 queries found k facilities: the comparison is too weak", full)
	}
}

func summary(ns []ogc.Near) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprintf("%s@%.3f", n.ID, n.DistanceM)
	}
	return out
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
