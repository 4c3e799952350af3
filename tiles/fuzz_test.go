package tiles

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseTile: any z/x/y strings give a tile inside the zoom's grid whose decimal form reads back to the same
// strings, or an error; never a panic. Tile paths come straight from URLs.
func FuzzParseTile(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"14", "13733", "6750"}, {"22", "4194303", "0"}, {"23", "0", "0"},
		{"01", "0", "0"}, {"-1", "0", "0"}, {"1", "2", "0"}, {"", "", ""}, {"１", "0", "0"}, {"3", "7", "7 "}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseTile(z, x, y)
		if err != nil {
			return
		}
		n := uint32(1) << tile.Z
		if tile.Z > MaxZoom || tile.X >= n || tile.Y >= n {
			t.Fatalf("ParseTile(%q, %q, %q) = %v: outside the grid", z, x, y, tile)
		}
		if got := fmt.Sprintf("%d/%d/%d", tile.Z, tile.X, tile.Y); got != z+"/"+x+"/"+y {
			t.Fatalf("ParseTile(%q, %q, %q) = %s: not the one URL of that tile", z, x, y, got)
		}
	})
}

// FuzzParseLayers: a layer list either parses to registered layers, in the list's order and without repeats, or is
// refused; never a panic.
func FuzzParseLayers(f *testing.F) {
	for _, s := range []string{"places", "places,facilities", AllLayers(), "", ",", "places,places", "地名", "places,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		ls, err := ParseLayers(list)
		if err != nil {
			return
		}
		names := make([]string, len(ls))
		for i, l := range ls {
			if _, ok := LayerByName(l.Name); !ok {
				t.Fatalf("ParseLayers(%q) gave unregistered layer %q", list, l.Name)
			}
			names[i] = l.Name
		}
		if strings.Join(names, ",") != list {
			t.Fatalf("ParseLayers(%q) = %v", list, names)
		}
	})
}
