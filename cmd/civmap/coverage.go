package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"civmap/facilities/coverage"
)

const coverageUsage = `Usage:
  civmap coverage [--plan ID] [--phase 2025] [--scenario existing|under_construction|planned]   (the gap table)
  civmap coverage query --types A,B [--statuses S,T] --distance 1000 [--distance-community 500] [--csv]
  civmap coverage siting --indicator meal [--p 5] [--objective mclp|lscp] [--solver greedy|exact] [--scenario …]
Each also takes --data-dir DIR | --database-url URL. Distances are geodesic metres (CGCS2000 ellipsoid).
`

// cmdCoverage prints the gap table, an ad-hoc coverage query or a siting answer, from the store the flags name (the
// bundled sample is loaded into an empty store, as serve does).
func cmdCoverage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "query":
			return coverageQuery(ctx, args[1:], stdout, stderr)
		case "siting":
			return coverageSiting(ctx, args[1:], stdout, stderr)
		case "help", "-h", "--help":
			fmt.Fprint(stdout, coverageUsage)
			return nil
		}
	}
	fs, sf := newStoreFlagSet("coverage", "coverage [--plan ID] [--phase 2025] [--scenario existing] [--json]", stderr)
	var plan, phase, scenario string
	var asJSON bool
	stringVar(fs, &plan, "plan", "CIVMAP_COVERAGE_PLAN", coverage.DefaultPlanID, "layout plan id")
	stringVar(fs, &phase, "phase", "CIVMAP_COVERAGE_PHASE", "", "phase (a year of the plan; default its first)")
	stringVar(fs, &scenario, "scenario", "CIVMAP_COVERAGE_SCENARIO", "existing", "existing, under_construction or planned")
	boolVar(fs, &asJSON, "json", "CIVMAP_COVERAGE_JSON", "print JSON instead of the table")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, closeFn, err := coverageService(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := svc.Gaps(ctx, coverage.CoverageRequest{Plan: plan, Phase: phase, Scenario: scenario})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSONTo(stdout, res)
	}
	fmt.Fprintf(stdout, "规划 %s · 规划期 %s · 情景 %s · 距离：椭球面测地线（米）\n\n", res.Plan, res.Phase, res.Scenario)
	rows := [][]string{{"指标", "指标名称", "范围", "目标", "现状", "差距", "达标", "单位"}}
	met, unmet := 0, 0
	for _, r := range res.Rows {
		c := coverage.GapCells(r)
		mark := "—"
		if r.Met != nil {
			if *r.Met {
				mark, met = "✓ 达标", met+1
			} else {
				mark, unmet = "✗ 未达标", unmet+1
			}
		}
		rows = append(rows, []string{c[0], c[1], c[5], c[7], c[8], c[9], mark, c[11]})
	}
	writeAligned(stdout, rows, map[int]bool{3: true, 4: true, 5: true})
	fmt.Fprintf(stdout, "\n达标 %d 项，未达标 %d 项。\n", met, unmet)
	return nil
}

func coverageService(ctx context.Context, sf *storeFlags, stderr io.Writer) (*coverage.Service, func(), error) {
	st, err := openAndLoad(ctx, sf, false, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		return nil, nil, err
	}
	return coverage.NewService(st), func() { st.Close() }, nil
}

func coverageQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("coverage query", "coverage query --types A,B [--statuses S,T] --distance METRES [--distance-community METRES] [--csv]", stderr)
	var types, statuses, dist, distC string
	var asCSV bool
	fs.StringVar(&types, "types", "", "facility types, comma-separated")
	fs.StringVar(&statuses, "statuses", "existing", "facility statuses, comma-separated")
	fs.StringVar(&dist, "distance", "", "service distance in metres (villages, and communities unless --distance-community)")
	fs.StringVar(&distC, "distance-community", "", "service distance in metres for communities (codes 001–199)")
	fs.BoolVar(&asCSV, "csv", false, "print CSV")
	if err := parse(fs, args); err != nil {
		return err
	}
	params := map[string]string{"types": types, "statuses": statuses, "distance_m": dist, "distance_m_community": distC}
	if _, err := coverage.ParseQuery(func(k string) string { return params[k] }); err != nil {
		return cliFieldError(err, map[string]string{"distance_m": "--distance", "distance_m_community": "--distance-community"})
	}
	svc, closeFn, err := coverageService(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := svc.Query(ctx, func(k string) string { return params[k] })
	if err != nil {
		return err
	}
	if asCSV {
		return coverage.WriteScopesCSV(stdout, res.Scopes)
	}
	fmt.Fprintf(stdout, "类型 %s · 状态 %s · 距离 %s 米（社区 %s 米）· 测地线距离\n\n", types, statuses, dist,
		firstNonEmpty(distC, dist))
	rows := [][]string{{"区划代码", "区划名称", "层级", "老年人口", "覆盖老年人口", "覆盖率%"}}
	for _, s := range res.Scopes {
		lvl := map[string]string{"county": "县", "township": "乡镇"}[s.Level]
		rows = append(rows, []string{s.Code, s.Name, lvl, strconv.Itoa(s.Elderly), strconv.Itoa(s.CoveredElderly),
			strconv.FormatFloat(s.CoveragePct, 'f', 2, 64)})
	}
	writeAligned(stdout, rows, map[int]bool{3: true, 4: true, 5: true})
	return nil
}

func coverageSiting(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("coverage siting", "coverage siting --indicator ID [--p N] [--objective mclp|lscp] [--solver greedy|exact] [--scenario S] [--json]", stderr)
	var req coverage.SitingRequest
	var asJSON bool
	fs.StringVar(&req.Plan, "plan", coverage.DefaultPlanID, "layout plan id")
	fs.StringVar(&req.Indicator, "indicator", "", "a coverage indicator of the plan (e.g. meal, home-care)")
	fs.StringVar(&req.Scenario, "scenario", "existing", "existing, under_construction or planned")
	fs.StringVar(&req.Objective, "objective", "mclp", "mclp (p sites, most elderly) or lscp (fewest sites covering all)")
	fs.StringVar(&req.Solver, "solver", "greedy", "greedy or exact (CBC: Debian package coinor-cbc)")
	fs.IntVar(&req.P, "p", 5, "number of sites (mclp)")
	fs.StringVar(&req.Candidates, "candidates", "villages", "villages or grid")
	fs.Float64Var(&req.SpacingM, "spacing", 1000, "grid spacing in metres (--candidates grid)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	svc, closeFn, err := coverageService(ctx, sf, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := svc.Siting(ctx, req)
	if err != nil {
		return cliFieldError(err, nil)
	}
	if asJSON {
		return writeJSONTo(stdout, res)
	}
	fmt.Fprintf(stdout, "%s · %s · 候选点 %d · 覆盖率 %.2f%% → %.2f%%（老年人口 %d → %d / %d）\n", strings.ToUpper(res.Objective),
		res.Solver, res.Candidates, res.CoveragePctBefore, res.CoveragePctAfter, res.CoveredBefore, res.CoveredAfter, res.TotalElderly)
	if res.Bound != "" {
		fmt.Fprintf(stdout, "（%s）\n", res.Bound)
	}
	rows := [][]string{{"序号", "候选点", "名称", "乡镇", "经度", "纬度", "新增覆盖老人"}}
	for i, s := range res.Sites {
		rows = append(rows, []string{strconv.Itoa(i + 1), s.ID, s.Name, s.TownshipCode, strconv.FormatFloat(s.Lon, 'f', 6, 64),
			strconv.FormatFloat(s.Lat, 'f', 6, 64), strconv.FormatFloat(s.AddedElderly, 'f', 0, 64)})
	}
	fmt.Fprintln(stdout)
	writeAligned(stdout, rows, map[int]bool{6: true})
	fmt.Fprintf(stdout, "\n无候选点可达（不可覆盖）的村社 %d 个，老年人口 %d。\n", len(res.Uncoverable), res.UncoverableElderly)
	return nil
}

// cliFieldError renames API field names to the flags that set them.
func cliFieldError(err error, flags map[string]string) error {
	msg := err.Error()
	for f, flag := range flags {
		msg = strings.ReplaceAll(msg, f+":", flag+":")
	}
	return fmt.Errorf("%s", msg)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// displayWidth is the terminal width of s: East Asian wide and fullwidth runes take two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// writeAligned prints rows as columns padded to their display width; right aligns the numeric columns.
func writeAligned(w io.Writer, rows [][]string, right map[int]bool) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
