package sample

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
)

var generics = []string{"路", "街", "巷", "村", "岙", "湾", "桥", "山"}

// WriteSyntheticPlaces writes a GeoJSON FeatureCollection of n synthetic place records for import and memory benchmarks:
// points spread uniformly over lon 121.55–122.05, lat 29.05–29.65 (EPSG:4326, Xiangshan's bounding box), all in division
// 330225, ids G0000000…; the same seed writes the same file.
func WriteSyntheticPlaces(out io.Writer, n int, seed uint64) error {
	w := bufio.NewWriterSize(out, 1<<20)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		g := generics[i%len(generics)]
		fmt.Fprintf(w, `{"type":"Feature","id":"G%07d","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},`+
			`"properties":{"name":"测试%d%s","specific":"测试%d","generic":"%s","category":"test","division_codes":["%s"]}}`,
			i, 121.55+r.Float64()*0.5, 29.05+r.Float64()*0.6, i, g, i, g, CountyCode)
		w.WriteByte('\n')
	}
	w.WriteString("]}\n")
	return w.Flush()
}
