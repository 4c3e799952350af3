package sample

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/geo"
)

var generics = []string{"路", "街", "巷", "村", "岙", "湾", "桥", "山"}

// WriteSyntheticPlaces writes a GeoJSON FeatureCollection of n synthetic place records for import and memory benchmarks:
// points spread uniformly over the bundled township polygons (EPSG:4326; drawn over their bounding box and kept when
// inside one), all in division 330225, ids G0000000…; the same seed writes the same file.
func WriteSyntheticPlaces(out io.Writer, n int, seed uint64) error {
	raw, err := File("townships.geojson")
	if err != nil {
		return err
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return err
	}
	var towns []*geo.PreparedPolygon
	var box orb.Bound
	for i, f := range fc.Features {
		towns = append(towns, geo.Prepare(f.Geometry))
		if i == 0 {
			box = f.Geometry.Bound()
		} else {
			box = box.Union(f.Geometry.Bound())
		}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	point := func() orb.Point {
		for {
			// Rounded to the 6 decimals written, so the point tested is the point read back.
			p := orb.Point{round6(box.Min[0] + r.Float64()*(box.Max[0]-box.Min[0])), round6(box.Min[1] + r.Float64()*(box.Max[1]-box.Min[1]))}
			for _, t := range towns {
				if t.Contains(p) {
					return p
				}
			}
		}
	}
	w := bufio.NewWriterSize(out, 1<<20)
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		g := generics[i%len(generics)]
		pt := point()
		fmt.Fprintf(w, `{"type":"Feature","id":"G%07d","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},`+
			`"properties":{"name":"测试%d%s","specific":"测试%d","generic":"%s","category":"test","division_codes":["%s"]}}`,
			i, pt[0], pt[1], i, g, i, g, CountyCode)
		w.WriteByte('\n')
	}
	w.WriteString("]}\n")
	return w.Flush()
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
