package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"
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

	st, storeKind, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	divs, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(divs))
	var townships []*geo.PreparedPolygon
	for _, d := range divs {
		known[d.Code] = true
		if d.Level == gazetteer.LevelTownship && d.Geometry != nil {
			townships = append(townships, geo.Prepare(d.Geometry))
		}
	}
	// Places must touch the county's territory; a store without township polygons yet cannot say, so it does not ask.
	var inside gazetteer.Inside
	if len(townships) > 0 {
		inside = func(p orb.Point) bool {
			for _, t := range townships {
				if t.Contains(p) {
					return true
				}
			}
			return false
		}
	}
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
		Inside:        inside,
	})
	if err != nil {
		return fmt.Errorf("%s: %w (nothing written)", path, err)
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
