package tiles

import (
	"testing"

	"github.com/paulmach/orb"
)

func closed(pts ...orb.Point) []orb.Point { return append(pts, pts[0]) }

func TestSimplyValid(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) []orb.Point {
		return closed(orb.Point{x0, y0}, orb.Point{x1, y0}, orb.Point{x1, y1}, orb.Point{x0, y1})
	}
	for _, c := range []struct {
		name  string
		polys [][][]orb.Point
		want  bool
	}{
		{"square", [][][]orb.Point{{sq(0, 0, 10, 10)}}, true},
		{"bowtie", [][][]orb.Point{{closed(orb.Point{0, 0}, orb.Point{10, 10}, orb.Point{10, 0}, orb.Point{0, 10})}}, false},
		{"vertex on an edge", [][][]orb.Point{{closed(orb.Point{0, 0}, orb.Point{10, 0}, orb.Point{10, 10},
			orb.Point{5, 0}, orb.Point{0, 10})}}, false},
		{"repeated vertex", [][][]orb.Point{{closed(orb.Point{0, 0}, orb.Point{4, 4}, orb.Point{8, 0}, orb.Point{8, 8},
			orb.Point{4, 4}, orb.Point{0, 8})}}, false},
		{"hole inside", [][][]orb.Point{{sq(0, 0, 10, 10), sq(2, 2, 4, 4)}}, true},
		{"hole touching the exterior", [][][]orb.Point{{sq(0, 0, 10, 10), sq(0, 2, 4, 4)}}, false},
		{"hole outside", [][][]orb.Point{{sq(0, 0, 10, 10), sq(20, 2, 24, 4)}}, false},
		{"nested holes", [][][]orb.Point{{sq(0, 0, 10, 10), sq(1, 1, 9, 9), sq(2, 2, 4, 4)}}, false},
		{"two holes", [][][]orb.Point{{sq(0, 0, 10, 10), sq(1, 1, 3, 3), sq(5, 5, 7, 7)}}, true},
		{"disjoint polygons", [][][]orb.Point{{sq(0, 0, 10, 10)}, {sq(20, 0, 30, 10)}}, true},
		{"polygons sharing an edge", [][][]orb.Point{{sq(0, 0, 10, 10)}, {sq(10, 0, 20, 10)}}, false},
		{"polygon inside another", [][][]orb.Point{{sq(0, 0, 10, 10)}, {sq(2, 2, 4, 4)}}, false},
		{"island in a hole", [][][]orb.Point{{sq(0, 0, 10, 10), sq(1, 1, 9, 9)}, {sq(2, 2, 4, 4)}}, true},
	} {
		if got := simplyValid(c.polys); got != c.want {
			t.Errorf("%s: simplyValid = %v, want %v", c.name, got, c.want)
		}
		// Whatever it says, it must never call valid what simplefeatures calls invalid.
		if simplyValid(c.polys) && toSF(c.polys).Validate() != nil {
			t.Errorf("%s: simplyValid but %v", c.name, toSF(c.polys).Validate())
		}
	}
}

// TestTrimRing: a ring that wanders far to the left of the box keeps only the ends of that run, and clips to the
// same polygon as untrimmed.
func TestTrimRing(t *testing.T) {
	r := []orb.Point{{100, 100}, {100, 3000}}
	for i := range 50 { // a zigzag far outside the left edge
		r = append(r, orb.Point{-500 - float64(i%2)*300, 3000 - float64(i)*60})
	}
	r = append(r, orb.Point{-500, 100}, orb.Point{100, 100})
	got := trimRing(r)
	if len(got) != 5 || got[2] != r[2] || got[3] != r[len(r)-2] {
		t.Fatalf("trimRing kept %d points: %v", len(got), got)
	}
	if !simplyValid([][][]orb.Point{{cleanRing(got)}}) {
		t.Errorf("trimmed ring not simple: %v", got)
	}
	a := tilePolygons([][][]orb.Point{{r}})
	b := tilePolygons([][][]orb.Point{{slicesClone(got)}})
	if len(a) != 1 || len(b) != 1 || ringArea(a[0][0]) != ringArea(b[0][0]) {
		t.Errorf("clips differ: %v vs %v", a, b)
	}
	// The clip is the box's left part: x from -64 to 100, y from 100 to 3000.
	if want := 2.0 * 164 * 2900; ringArea(a[0][0]) != want {
		t.Errorf("area %v, want %v", ringArea(a[0][0]), want)
	}
	inside := closed(orb.Point{0, 0}, orb.Point{10, 0}, orb.Point{10, 10})
	if got := trimRing(inside); &got[0] != &inside[0] {
		t.Error("a ring inside the box was copied")
	}
}

func slicesClone(r []orb.Point) []orb.Point { return append([]orb.Point(nil), r...) }
