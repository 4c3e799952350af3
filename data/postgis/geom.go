package postgis

import (
	"fmt"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// srid is CGCS2000 lon/lat, the SRID of every geometry column.
const srid = 4490

// toWKB encodes g as WKB (nil for no geometry). WKB carries float64 as is, so coordinates round-trip exactly.
func toWKB(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode %s geometry as WKB: %w", g.GeoJSONType(), err)
	}
	return b, nil
}

// pointWKB encodes a point (never nil).
func pointWKB(p orb.Point) []byte {
	return wkb.MustMarshal(p)
}

// optPointWKB encodes an optional point.
func optPointWKB(p *orb.Point) []byte {
	if p == nil {
		return nil
	}
	return pointWKB(*p)
}

// fromWKB decodes ST_AsBinary output (nil for SQL NULL).
func fromWKB(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	return g, nil
}

func pointFromWKB(b []byte) (orb.Point, error) {
	g, err := fromWKB(b)
	if err != nil {
		return orb.Point{}, err
	}
	p, ok := g.(orb.Point)
	if !ok {
		return orb.Point{}, fmt.Errorf("decode WKB: want a point, got %T", g)
	}
	return p, nil
}

// codePrefixLens are the lengths of GB/T 2260 (province 2, city 4, county 6) and GB/T 10114 (township 9, village 12)
// division codes: a Division filter of one of these lengths is answered by the division_prefixes index.
var codePrefixLens = [...]int{2, 4, 6, 9, 12}

// divisionPrefixes returns the prefixes (in runes) of each code at codePrefixLens, and each whole code, without duplicates.
func divisionPrefixes(codes []string) []string {
	if len(codes) == 0 {
		return nil
	}
	out := make([]string, 0, 6*len(codes))
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, c := range codes {
		n, i := 0, 0
		for _, l := range codePrefixLens {
			for n < l && i < len(c) {
				_, size := utf8.DecodeRuneInString(c[i:])
				i += size
				n++
			}
			if n < l {
				break
			}
			add(c[:i])
		}
		add(c)
	}
	return out
}

// prefixIndexed reports whether a Division filter can use division_prefixes: its length is one of codePrefixLens (a code
// starts with q iff its prefix of q's length is q, and that prefix is indexed for every code at least that long).
func prefixIndexed(q string) bool {
	n := utf8.RuneCountInString(q)
	for _, l := range codePrefixLens {
		if n == l {
			return true
		}
	}
	return false
}
