package tiles

import (
	"math"
	"net/http"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/internal/apierr"
	"civmap/internal/httpx"
)

// Tile geometry constants (MVT 2.1, as ST_AsMVTGeom's defaults).
const (
	// Extent is the tile's coordinate range: 0..4096 on each axis, y down.
	Extent = 4096
	// Buffer is the margin, in tile units, that geometries keep beyond the tile's edges (so that strokes and symbols
	// at an edge are drawn without seams).
	Buffer = 64
	// MaxZoom is the highest zoom served (tile numbers up to 2^24−1 fit a float64 pixel grid with room to spare).
	MaxZoom = 24
)

// maxLat is the latitude where Web Mercator (EPSG:3857) ends, in degrees.
const maxLat = 85.05112877980659

// ParseTile reads z, x and y as decimal integers in the XYZ scheme (EPSG:3857, y down from the north) and checks
// 0 <= z <= MaxZoom and 0 <= x, y <= 2^z−1. Errors are 400s (httpx.BadParam) naming the offending variable.
func ParseTile(z, x, y string) (maptile.Tile, error) {
	zv, ok := parseUint(z, 2)
	if !ok || zv > MaxZoom {
		return maptile.Tile{}, httpx.BadParam("z", "zoom %q is not an integer in 0..%d", z, MaxZoom)
	}
	n := uint64(1) << zv
	xv, ok := parseUint(x, 8)
	if !ok || xv >= n {
		return maptile.Tile{}, httpx.BadParam("x", "column %q is not an integer in 0..%d at zoom %d", x, n-1, zv)
	}
	yv, ok := parseUint(y, 8)
	if !ok || yv >= n {
		return maptile.Tile{}, httpx.BadParam("y", "row %q is not an integer in 0..%d at zoom %d", y, n-1, zv)
	}
	return maptile.New(uint32(xv), uint32(yv), maptile.Zoom(zv)), nil
}

// parseUint accepts only ASCII digits (no sign, no spaces, no leading zero but "0" itself, so that every tile has one
// URL and one cache entry), at most maxDigits of them.
func parseUint(s string, maxDigits int) (uint64, bool) {
	if s == "" || len(s) > maxDigits || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// ParseLayers reads a comma-separated list of registered layer names (e.g. "places,facilities"), keeping its order.
// Errors: an empty list, an empty name, a repeated name or more names than there are layers are 400s; an unknown name
// is 404 (the tileset does not exist). Both name the variable "layers".
func ParseLayers(list string) ([]Layer, error) {
	if list == "" {
		return nil, httpx.BadParam("layers", "the layer list is empty; want one or more of %s", layerNames())
	}
	if strings.Count(list, ",") >= len(Layers) {
		return nil, httpx.BadParam("layers", "%d layers requested; there are only %d: %s", strings.Count(list, ",")+1,
			len(Layers), layerNames())
	}
	out := make([]Layer, 0, len(Layers))
	for rest, more := list, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ",")
		if name == "" {
			return nil, httpx.BadParam("layers", "empty layer name in %q", list)
		}
		l, ok := LayerByName(name)
		if !ok {
			return nil, httpx.WithStatus(http.StatusNotFound, apierr.Field("layers",
				"unknown layer %q; want one or more of %s", name, layerNames()))
		}
		for _, prev := range out {
			if prev.Name == name {
				return nil, httpx.BadParam("layers", "layer %q appears twice in %q", name, list)
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func layerNames() string {
	names := make([]string, len(Layers))
	for i, l := range Layers {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}

// AllLayers is the comma list of every registered layer, in drawing order: the {layers} value of the whole tileset.
func AllLayers() string { return layerNames() }

// worldXY maps lon/lat degrees (EPSG:4490 or 4326: the two agree to well under a tile pixel at z24) to Web Mercator
// normalised to the unit square, x east and y south from the north-west corner. Latitudes beyond ±85.0511° clamp.
func worldXY(p orb.Point) (x, y float64) {
	lat := math.Max(-maxLat, math.Min(maxLat, p[1]))
	s := math.Sin(lat * math.Pi / 180)
	return (p[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// worldLonLat is worldXY's inverse.
func worldLonLat(x, y float64) orb.Point {
	return orb.Point{x*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*y))) * 180 / math.Pi}
}

// BufferedBound is the lon/lat bound (degrees) of tile t grown by Buffer/Extent of its width on each side in Web
// Mercator, clamped to the Web Mercator world: ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0/4096), 4490).
// A feature whose geometry bound intersects it (edges included, as PostGIS's &&) is a candidate for the tile.
func BufferedBound(t maptile.Tile) orb.Bound {
	n := float64(uint64(1) << t.Z)
	m := float64(Buffer) / Extent
	clamp := func(v float64) float64 { return math.Max(0, math.Min(1, v)) }
	x0, x1 := clamp((float64(t.X)-m)/n), clamp((float64(t.X)+1+m)/n)
	y0, y1 := clamp((float64(t.Y)-m)/n), clamp((float64(t.Y)+1+m)/n)
	nw, se := worldLonLat(x0, y0), worldLonLat(x1, y1)
	return orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}}
}

// TileCover lists the tiles at zooms minZ..maxZ that cover bound (lon/lat degrees), zoom by zoom, rows then columns.
func TileCover(bound orb.Bound, minZ, maxZ int) []maptile.Tile {
	var out []maptile.Tile
	for z := minZ; z <= maxZ; z++ {
		a := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, maptile.Zoom(z))
		b := maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, maptile.Zoom(z))
		for y := a.Y; y <= b.Y; y++ {
			for x := a.X; x <= b.X; x++ {
				out = append(out, maptile.New(x, y, maptile.Zoom(z)))
			}
		}
	}
	return out
}
