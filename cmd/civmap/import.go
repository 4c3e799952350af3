package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"civmap/data/ingest"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/edit"
)

// cmdImport reads one file, validates all of it, and writes it in one transaction (or writes nothing).
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("import", "import --kind KIND [--crs CRS] [--skip-invalid] [--dry-run] [--actor NAME] FILE", stderr)
	kind := fs.String("kind", "", "what the file holds: places, facilities, demand, divisions, markers or lines ($CIVMAP_IMPORT_KIND)")
	crsName := fs.String("crs", "", "CRS of the coordinates: EPSG:4326 (default), EPSG:4490, EPSG:4549/4550 (Gauss–Krüger, CSV columns x_north_m,y_east_m), EPSG:4528/4529, GCJ-02, BD-09 ($CIVMAP_IMPORT_CRS)")
	skip := fs.Bool("skip-invalid", false, "write the valid records and report the invalid ones, instead of writing nothing ($CIVMAP_IMPORT_SKIP_INVALID)")
	line := fs.String("line", "", "markers: the boundary line ID (default: from the marker number, 象宁001 → 象宁线) ($CIVMAP_IMPORT_LINE)")
	dryRun := fs.Bool("dry-run", false, "validate and compare with the store; print per record created, changed (with the changed fields) or unchanged; write nothing ($CIVMAP_IMPORT_DRY_RUN)")
	actor := fs.String("actor", "import", "the author that the new versions and audit entries name ($CIVMAP_ACTOR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "civmap import: give exactly one FILE")
		fs.Usage()
		return errUsage
	}
	k, err := ingest.ParseKind(*kind)
	if err != nil {
		return fmt.Errorf("--kind: %w", err)
	}
	var crs geo.CRS
	if *crsName != "" {
		if crs, err = geo.ParseCRS(*crsName); err != nil {
			return fmt.Errorf("--crs: %w", err)
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	// A dry run writes nothing: the store is opened read-only, so a missing one is refused, not created.
	st, storeKind, err := sf.openMode(ctx, *dryRun)
	if err != nil {
		if *dryRun {
			return fmt.Errorf("--dry-run compares with an existing store and writes nothing: %w", err)
		}
		return err
	}
	defer st.Close()

	divs, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(divs))
	for _, d := range divs {
		known[d.Code] = true
	}
	// Every record is checked against the county's polygons (and a point against the township it names); the file's
	// own divisions join them as they are read.
	territory := gazetteer.ShapesOf(divs)
	lines, err := st.BoundaryLines(ctx)
	if err != nil {
		return err
	}
	knownLine := map[string]bool{}
	for _, l := range lines {
		knownLine[l.ID] = true
	}

	var r io.Reader = f
	if fi, err := f.Stat(); err == nil && isTerminal(stderr) {
		bar := progressbar.DefaultBytes(fi.Size(), "reading "+path)
		defer bar.Close()
		r = io.TeeReader(f, bar)
	}
	res, err := ingest.Read(r, ingest.Options{
		Kind: k, CRS: crs, SkipInvalid: *skip, Line: *line,
		KnownDivision: func(c string) bool { return known[c] },
		KnownLine:     func(id string) bool { return knownLine[id] },
		Territory:     territory,
	})
	if err != nil {
		return fmt.Errorf("%s: %s%w (nothing written)", path, emptyStoreHint(storeKind, sf, k, len(divs), len(lines), territory.Known()), err)
	}
	for _, e := range res.Rejected {
		fmt.Fprintf(stderr, "%s: skipped: %v\n", path, e)
	}
	report := map[string]any{"file": path, "kind": k, "store": storeKind, "read": res.Read,
		"valid": res.Batch.Len(), "rejected": len(res.Rejected)}
	// One version per new or changed record, with the file name as its reason; identical records make none.
	b := res.Batch
	b.DryRun = *dryRun
	stats, err := st.Import(ctx, b, edit.Meta{Actor: *actor, Action: "import", Reason: filepath.Base(path)})
	if err != nil {
		return fmt.Errorf("%s: %w (nothing written)", path, err)
	}
	if *dryRun {
		for _, r := range stats.Results {
			line := r.Result + " " + string(r.Kind) + "/" + r.ID
			if len(r.Fields) > 0 {
				line += ": " + strings.Join(r.Fields, ", ")
			}
			fmt.Fprintln(stdout, line)
		}
		report["would_insert"], report["would_update"], report["unchanged"] = stats.Inserted, stats.Updated, stats.Unchanged
	} else {
		report["inserted"], report["updated"], report["unchanged"] = stats.Inserted, stats.Updated, stats.Unchanged
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(report)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// storeWhere names where the store is, for messages: " in DIR" or "" for PostGIS (whose URL may hold a password).
func storeWhere(sf *storeFlags) string {
	if sf.databaseURL != "" {
		return ""
	}
	return " in " + sf.dataDir
}

// emptyStoreHint says, before a failed import's errors, that the store lacks what the file refers to — a store that was
// never served has no divisions, so every code in the file is "unknown" — and what to run.
//
// A store whose divisions have no polygon (divisions.csv alone) cannot say where a point lies: the hint gives the
// order of the bundled files (README, data/sample/xiangshan/SOURCES.md).
func emptyStoreHint(storeKind string, sf *storeFlags, k ingest.Kind, divisions, lines int, polygons bool) string {
	switch {
	case divisions > 0 && !polygons && k != ingest.Lines && k != ingest.Markers:
		return fmt.Sprintf("the %s store%s holds no polygon of the county or of its townships, so where a point lies "+
			"cannot be checked: import them first, in this order (the bundled Xiangshan files are in "+
			"data/sample/xiangshan): `civmap import --kind divisions --crs GCJ-02 county_outline.gcj02.json`, then "+
			"`civmap import --kind divisions townships.geojson` (divisions.csv, the codes, before both); then this "+
			"file again. The file's errors: ", storeKind, storeWhere(sf))
	case divisions == 0 && k != ingest.Divisions:
		return fmt.Sprintf("the %s store%s holds no divisions, so no division or township code can be known: run "+
			"`civmap serve` once on it to load the bundled Xiangshan sample, or import divisions first "+
			"(civmap import --kind divisions FILE); then import this file again. The file's errors: ", storeKind, storeWhere(sf))
	case lines == 0 && k == ingest.Markers:
		return fmt.Sprintf("the %s store%s holds no boundary lines, so no marker's line can be known: import the lines "+
			"first (civmap import --kind lines FILE). The file's errors: ", storeKind, storeWhere(sf))
	}
	return ""
}
