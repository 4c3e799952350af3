package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/gazetteer/names"
)

// namesRoutes registers the place-name API (pinyin, checks, sign check, lists, screenings) over st and returns the
// pinyin func that the gazetteer service uses for places saved without pinyin.
func namesRoutes(r *mux.Router, st data.Store) func(string) string {
	svc := names.NewService(st, st)
	names.Routes(r, svc)
	return svc.Pinyin
}

// cmdPinyin prints each NAME's spelling by the 1984 rules as the API does (GET /api/names/pinyin): one JSON object per
// line. With --stored it uses the lists as edited in the store (reading dictionary, generic terms), else the
// embedded defaults.
func cmdPinyin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("pinyin", "pinyin [--stored] NAME…", stderr)
	stored := fs.Bool("stored", false, "use the lists as edited in the store (opened read-only) instead of the embedded defaults")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "civmap pinyin: give at least one NAME")
		fs.Usage()
		return errUsage
	}
	svc := names.NewService(nil, nil)
	if *stored {
		st, _, err := sf.openMode(ctx, true)
		if err != nil {
			return err
		}
		defer st.Close()
		svc = names.NewService(st, st)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, n := range fs.Args() {
		res, err := svc.Romanize(ctx, n)
		if err != nil {
			return fmt.Errorf("%q: %w", n, err)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return nil
}

// cmdCheckNames screens a division (default: the county) with the rules and writes the report grouped by township and
// kind. It reads the store only (opened read-only): findings are tracked through POST /api/screenings; the report
// shows the states tracked so far.
func cmdCheckNames(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("check-names", "check-names [--division CODE] [--format json|csv|xlsx|html] [--out FILE]", stderr)
	division := fs.String("division", "", "the division to screen (9-digit township or 6-digit county code; default: the county held)")
	format := fs.String("format", "json", "report format: json, csv, xlsx or html")
	out := fs.String("out", "", "write the report to this file instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "civmap check-names: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	if !slices.Contains(names.ReportFormats, *format) {
		return fmt.Errorf("--format: unknown format %q (want %s)", *format, strings.Join(names.ReportFormats, ", "))
	}
	st, _, err := sf.openMode(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if *division == "" {
		ds, err := st.Divisions(ctx, gazetteer.DivisionQuery{Level: gazetteer.LevelCounty})
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return fmt.Errorf("the store holds no county: give --division")
		}
		*division = ds[0].Code
	}
	rep, err := names.NewService(st, st).Screen(ctx, *division, false)
	if err != nil {
		return fmt.Errorf("--division %s: %w", *division, err)
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := names.WriteReport(w, rep, *format); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "civmap check-names: %s %s: %d names, %d findings in %.0f ms\n", rep.Screening.Division,
		rep.Screening.DivisionName, rep.Screening.Names, len(rep.Findings), rep.Screening.DurationMS)
	return nil
}
