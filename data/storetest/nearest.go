package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/data/sample"
	"civmap/facilities"
	"civmap/ogc"
)

// scanOnly hides the store's NearestFinder: ogc.Nearest through it takes the generic circle search over Items.
type scanOnly struct{ ogc.FeatureStore }

// NearestMatchesScan loads the Xiangshan sample into st (an ogc.NearestFinder) and checks that its k-nearest answers
// as the generic search over Items does (ogc.NearestScan): the same features, properties included, in the same order
// at the same distances, for 300 random points in and around the county (some far out at sea, where the circles grow
// to tens of kilometres), k from 1 to 30, and random type and status sets (some matching nothing).
func NearestMatchesScan(t *testing.T, st data.Store) {
	ctx := context.Background()
	if _, err := sample.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	s, ok := st.(ogc.NearestFinder)
	if !ok {
		t.Fatalf("%T is not an ogc.NearestFinder", st)
	}
	fs := st.(ogc.FeatureStore)
	if _, ok := ogc.FeatureStore(scanOnly{fs}).(ogc.NearestFinder); ok {
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
		got, err := s.NearestFacilities(ctx, p, k, ts, ss)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := ogc.Nearest(ctx, scanOnly{fs}, p, k, ts, ss)
		if err != nil {
			t.Fatalf("%s: scan: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\nindex %v\nscan  %v", name, nearSummary(got), nearSummary(want))
		}
		if !slices.IsSortedFunc(got, func(a, b ogc.Near) int {
			return cmp.Compare(a.DistanceM, b.DistanceM)
		}) {
			t.Fatalf("%s: not nearest first: %v", name, nearSummary(got))
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

func nearSummary(ns []ogc.Near) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprintf("%s@%.3f", n.ID, n.DistanceM)
	}
	return out
}
