// Command genplaces writes a GeoJSON FeatureCollection of N synthetic place records over Xiangshan, for import and memory
// benchmarks: go run ./internal/tools/genplaces -n 1000000 > places.geojson
package main

import (
	"flag"
	"fmt"
	"os"

	"civmap/data/sample"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of places")
	seed := flag.Uint64("seed", 1, "random seed (the same seed writes the same file)")
	flag.Parse()
	if err := sample.WriteSyntheticPlaces(os.Stdout, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
