// Package ingest reads import files (GeoJSON and CSV) into a data.Batch: it parses, converts coordinates to EPSG:4490 once,
// normalises and validates every record, and reports each problem with its file line or feature index and field. It
// writes nothing: the caller writes the batch in one transaction, so a file with an error leaves the store untouched.
package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

// Kind is what an import file holds.
type Kind string

// The kinds an import file may hold.
const (
	Places     Kind = "places"
	Facilities Kind = "facilities"
	Demand     Kind = "demand"
	Divisions  Kind = "divisions"
	Markers    Kind = "markers"
	Lines      Kind = "lines"
)

// ParseKind checks a --kind value.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Places, Facilities, Demand, Divisions, Markers, Lines:
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q (want places, facilities, demand, divisions, markers or lines)", s)
}

// Options controls one read.
type Options struct {
	Kind Kind
	// CRS of the coordinates; "" means EPSG:4326 lon/lat, or the CSV's own crs column where it has one. Projected CSVs
	// give x_north/y_east (northing first, as survey tables print them); projected GeoJSON gives [easting, northing].
	CRS geo.CRS
	// SkipInvalid keeps the valid records and reports the others in Result.Rejected instead of failing.
	SkipInvalid bool
	// Line is the boundary line ID for markers; "" derives it from the marker number (象宁001 → 象宁线).
	Line string
	// KnownDivision reports whether a division code exists in the store (the batch's own divisions count too).
	KnownDivision func(code string) bool
	// KnownLine reports whether a boundary line exists in the store (the batch's own lines count too).
	KnownLine func(id string) bool
	// Territory is the county's polygons (gazetteer.ShapesOf the store's divisions): every record is checked against
	// it with gazetteer.CheckPlacement (inside the county; a point inside the township it names), and the file's own
	// county and township polygons are added to it as they are read. Nil skips the checks.
	Territory *gazetteer.Shapes
}

// Result is what a read produced.
type Result struct {
	Batch    data.Batch
	Read     int            // records read
	Rejected apierr.Invalid // with SkipInvalid: the problems of the records left out
}

// Read parses one file. The format is GeoJSON when the content (after an optional UTF-8 BOM) starts with '{' or '[', CSV
// otherwise. Text must be UTF-8: the first invalid byte fails the read, naming its line, and a GBK/GB 18030 file is
// named as such with the iconv command that converts it. It fails with apierr.Invalid (every problem, each with its location and field) unless SkipInvalid is set.
func Read(r io.Reader, opts Options) (*Result, error) {
	if _, err := ParseKind(string(opts.Kind)); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(&utf8Reader{r: r}, 1<<16)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, err := firstNonSpace(br)
	if err != nil {
		return nil, err
	}
	b := newBuilder(opts)
	if first == '{' || first == '[' {
		err = readGeoJSON(br, b)
	} else {
		err = readCSV(br, b)
	}
	if err != nil {
		return nil, err
	}
	// Only valid records reach the batch, so with SkipInvalid the batch is ready as it is.
	if len(b.errs) > 0 && !opts.SkipInvalid {
		return nil, b.errs
	}
	return &Result{Batch: b.batch, Read: b.read, Rejected: b.errs}, nil
}

func firstNonSpace(br *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		p, err := br.Peek(i)
		if len(p) < i {
			if err == nil || errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("the file is empty")
			}
			return 0, err
		}
		if c := p[i-1]; !strings.ContainsRune(" \t\r\n", rune(c)) {
			return c, nil
		}
	}
}
