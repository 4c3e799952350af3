package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"civmap/data/sample"
	"civmap/gazetteer/inspection"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

const inspectionUsage = `Usage:
  civmap inspection import --line ID --year Y [--started-on D --ended-on D] [--tolerance M] [--team NAME]… FILE
  civmap inspection report --round ID [--format json|html|xlsx|pdf] [--out FILE]
  civmap inspection neighbours FILE   (polygons of neighbouring counties not held as divisions, GeoJSON)

import reads a team's sheet (CSV or XLSX, columns marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note)
into the line's round of that year (an empty store gets the bundled sample first), creating the round when there is none (field dates from --started-on/--ended-on,
else the first and last inspected_on of the file; tolerance default 1.0 m), and prints the round's report as JSON.
Rejected rows are in the report's "rejected" with their file line (header = line 1).
`

// cmdInspection runs the inspection subcommands; they act as an inspector named --actor on the local store.
func cmdInspection(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, inspectionUsage)
		return errUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "import":
		return inspectionImport(ctx, rest, stdout, stderr)
	case "report":
		return inspectionReport(ctx, rest, stdout, stderr)
	case "neighbours":
		return inspectionNeighbours(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, inspectionUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "civmap inspection: unknown subcommand %q\n\n%s", sub, inspectionUsage)
		return errUsage
	}
}

type teamsFlag []inspection.Team

func (t *teamsFlag) String() string { return fmt.Sprint(*t) }
func (t *teamsFlag) Set(s string) error {
	*t = append(*t, inspection.Team{Name: s})
	return nil
}

func inspectorCtx(ctx context.Context, actor string) context.Context {
	return edit.WithPrincipal(ctx, edit.Principal{Name: actor, Role: edit.RoleInspector})
}

func inspectionImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("inspection import", "inspection import --line ID --year Y [flags] FILE", stderr)
	line := fs.String("line", "", "the boundary line ID, e.g. 象宁线 ($CIVMAP_INSPECTION_LINE)")
	year := fs.Int("year", 0, "the round's year ($CIVMAP_INSPECTION_YEAR)")
	started := fs.String("started-on", "", "a new round's first field day YYYY-MM-DD (default: the file's first inspected_on)")
	ended := fs.String("ended-on", "", "a new round's last field day YYYY-MM-DD (default: the file's last inspected_on)")
	tol := fs.Float64("tolerance", inspection.DefaultToleranceM, "a new round's marker tolerance in metres")
	var teams teamsFlag
	fs.Var(&teams, "team", "a new round's team name (repeat for both sides)")
	actor := fs.String("actor", "import", "the author the new versions and audit entries name ($CIVMAP_ACTOR)")
	rest, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || *line == "" || *year == 0 {
		fmt.Fprintln(stderr, "civmap inspection import: give --line, --year and exactly one FILE")
		fs.Usage()
		return errUsage
	}
	body, err := os.ReadFile(rest[0])
	if err != nil {
		return err
	}
	ct := ""
	if strings.EqualFold(filepath.Ext(rest[0]), ".xlsx") {
		ct = inspection.XLSXContentType
	}
	// As civmap serve and civmap coverage do, an empty store gets the bundled sample first (its lines and markers).
	st, err := openAndLoad(ctx, sf, false, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer st.Close()
	ctx = inspectorCtx(ctx, *actor)
	svc := &inspection.Service{Store: st}
	id := fmt.Sprintf("%s-%d", *line, *year)
	if _, err := svc.Round(ctx, id); errors.Is(err, apierr.ErrNotFound) {
		in := inspection.RoundInput{Year: *year, StartedOn: *started, EndedOn: *ended, ToleranceM: tol, Teams: teams}
		if in.StartedOn == "" || in.EndedOn == "" {
			first, last, err := inspection.SheetDates(body, ct)
			if err != nil {
				return fmt.Errorf("%s: %w", rest[0], err)
			}
			if in.StartedOn == "" {
				in.StartedOn = first
			}
			if in.EndedOn == "" {
				in.EndedOn = last
			}
		}
		rd, err := svc.CreateRound(ctx, *line, in)
		if err != nil {
			return fmt.Errorf("creating round %s: %w", id, err)
		}
		fmt.Fprintf(stderr, "created round %s (%s to %s, tolerance %.3f m)\n", rd.ID, rd.StartedOn, rd.EndedOn, rd.ToleranceM)
	} else if err != nil {
		return err
	}
	res, err := svc.Import(ctx, id, body, ct)
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err)
	}
	fmt.Fprintf(stderr, "imported %d rows, rejected %d\n", res.Imported, len(res.Rejected))
	rep, err := svc.Report(ctx, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func inspectionReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("inspection report", "inspection report --round ID [--format json|html|xlsx|pdf] [--out FILE]", stderr)
	round := fs.String("round", "", "the round's id, e.g. 象宁线-2023")
	format := fs.String("format", "json", "json, html, xlsx or pdf (pdf runs chromium --headless; $CHROMIUM_PATH)")
	out := fs.String("out", "", "write to FILE instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *round == "" || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	st, _, err := sf.openMode(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &inspection.Service{Store: st}
	rep, err := svc.Report(ctx, *round)
	if err != nil {
		return err
	}
	var b []byte
	switch *format {
	case "json":
		b, err = json.MarshalIndent(rep, "", "  ")
		b = append(b, '\n')
	case "html":
		b, err = inspection.HTML(rep)
	case "xlsx":
		b, err = inspection.XLSX(rep)
	case "pdf":
		b, err = inspection.PDF(ctx, rep)
	default:
		return fmt.Errorf("--format %q: want json, html, xlsx or pdf", *format)
	}
	if err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, b, 0o644)
	}
	_, err = stdout.Write(b)
	return err
}

func inspectionNeighbours(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("inspection neighbours", "inspection neighbours FILE.geojson", stderr)
	actor := fs.String("actor", "import", "the author the new versions and audit entries name ($CIVMAP_ACTOR)")
	rest, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return errUsage
	}
	raw, err := os.ReadFile(rest[0])
	if err != nil {
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := sample.StoreNeighbours(ctx, st, raw, edit.Meta{Actor: *actor, Role: edit.RoleInspector, Action: "import"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stored %d neighbour polygons\n", n)
	return nil
}
