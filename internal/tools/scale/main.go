// Command scale is the province scale run (make bench-scale): it generates F copies of the Xiangshan county (the bundled
// sample: 1 county, 18 townships, 408 village-level units, 49 OSM places, 406 facilities, 408 demand units) plus
// -places synthetic places per county (data/sample.WriteSyntheticPlaces), each copy shifted on a 10-column grid
// (0.8° west, 0.6° north per step, so all stay in China) with its codes renumbered (county 33ABCD, the township and
// village codes under it), imports them county by county into one store, and then starts `civmap serve` on it and
// measures:
//
//   - import time (the sum of the per-county Import calls) and store size (embedded: the bbolt file; PostGIS:
//     pg_database_size);
//   - start-up time: from exec to the first 200 of /api/divisions/{first county};
//   - the server's RSS after the queries and its VmHWM (/proc/PID/status);
//   - latency p50/p99 of -n requests each of: uncached tiles (distinct z14 tiles of all layers), place search
//     (/api/places?q=测试N), locate, and bbox feature queries (/api/places?bbox=…, 0.01° boxes, limit 100).
//
// Zhejiang has about 90 counties, 1,300 townships, 25,000 village-level units, 5,000,000 places and 200,000 facilities:
// with -places 55000, F = 1, 10, 100 is 1×, 10×, 100× the county (100× ≈ 5.5 M places, 1,800 townships, 40,800
// villages, 40,600 facilities). It prints one Markdown table row.
//
//	go run ./internal/tools/scale -factor 10 -civmap bin/civmap -data-dir /tmp/scale10
//	go run ./internal/tools/scale -factor 10 -civmap bin/civmap -database-url postgres://…
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/embedded"
	"civmap/data/ingest"
	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/internal/edit"
)

func main() {
	factor := flag.Int("factor", 1, "number of counties (1, 10, 100 × Xiangshan)")
	perCounty := flag.Int("places", 55_000, "synthetic places per county")
	bin := flag.String("civmap", "bin/civmap", "the civmap binary to serve the store")
	dataDir := flag.String("data-dir", "", "embedded store folder (created; must be empty)")
	dbURL := flag.String("database-url", "", "PostGIS database (must be empty); instead of -data-dir")
	n := flag.Int("n", 200, "requests per query kind")
	flag.Parse()
	if err := run(*factor, *perCounty, *bin, *dataDir, *dbURL, *n); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// county is copy k of the sample: its code prefix and shift.
type county struct {
	code   string
	dx, dy float64
}

func countyOf(k int) county {
	return county{code: fmt.Sprintf("33%04d", 1000+k), dx: -0.8 * float64(k%10), dy: 0.6 * float64(k/10)}
}

func (c county) recode(s string) string {
	if strings.HasPrefix(s, sample.CountyCode) {
		return c.code + s[len(sample.CountyCode):]
	}
	return s
}

func (c county) pt(p orb.Point) orb.Point { return orb.Point{p[0] + c.dx, p[1] + c.dy} }

func (c county) geom(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return c.pt(g)
	case orb.LineString:
		out := make(orb.LineString, len(g))
		for i, p := range g {
			out[i] = c.pt(p)
		}
		return out
	case orb.Ring:
		return orb.Ring(c.geom(orb.LineString(g)).(orb.LineString))
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = c.geom(r).(orb.Ring)
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = c.geom(p).(orb.Polygon)
		}
		return out
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for i, p := range g {
			out[i] = c.pt(p)
		}
		return out
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = c.geom(l).(orb.LineString)
		}
		return out
	}
	panic(fmt.Sprintf("scale: geometry %T", g))
}

// batch is county k: the sample's divisions (the city 330200 only in the first), places, facilities and demand units,
// recoded and shifted, plus the synthetic places; boundary lines and markers only in the first copy.
func (c county) batch(k int, base *data.Batch, synth []gazetteer.Place) data.Batch {
	var b data.Batch
	for _, d := range base.Divisions {
		if !strings.HasPrefix(d.Code, sample.CountyCode) && k > 0 {
			continue
		}
		d.Code, d.ParentCode, d.Geometry = c.recode(d.Code), c.recode(d.ParentCode), c.geom(d.Geometry)
		if d.Seat != nil {
			s := c.pt(*d.Seat)
			d.Seat = &s
		}
		if d.Code == c.code && k > 0 {
			d.Name = fmt.Sprintf("%s%d", d.Name, k)
		}
		b.Divisions = append(b.Divisions, d)
	}
	for _, src := range [][]gazetteer.Place{base.Places, synth} {
		for _, p := range src {
			p.ID = fmt.Sprintf("%s-%s", c.code, p.ID)
			p.Geometry = c.geom(p.Geometry)
			codes := make([]string, len(p.DivisionCodes))
			for i, d := range p.DivisionCodes {
				codes[i] = c.recode(d)
			}
			p.DivisionCodes = codes
			b.Places = append(b.Places, p)
		}
	}
	for _, f := range base.Facilities {
		f.ID = fmt.Sprintf("%s-%s", c.code, f.ID)
		f.TownshipCode, f.Location = c.recode(f.TownshipCode), c.pt(f.Location)
		b.Facilities = append(b.Facilities, f)
	}
	for _, d := range base.Demand {
		d.Code, d.TownshipCode, d.Location = c.recode(d.Code), c.recode(d.TownshipCode), c.pt(d.Location)
		b.Demand = append(b.Demand, d)
	}
	if k == 0 {
		b.Lines, b.Markers = base.Lines, base.Markers
	}
	return b
}

func run(factor, perCounty int, bin, dataDir, dbURL string, n int) error {
	ctx := context.Background()
	if (dataDir == "") == (dbURL == "") {
		return fmt.Errorf("give one of -data-dir and -database-url")
	}
	base, err := sample.Batch()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sample.WriteSyntheticPlaces(&buf, perCounty, 1); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, d := range base.Divisions {
		known[d.Code] = true
	}
	res, err := ingest.Read(&buf, ingest.Options{Kind: ingest.Places, KnownDivision: func(c string) bool { return known[c] }})
	if err != nil {
		return fmt.Errorf("synthetic places: %w", err)
	}
	synth := res.Batch.Places
	for i := range synth {
		synth[i].Status = gazetteer.StatusCurrent
	}

	var st data.Store
	storeName := "embedded"
	if dbURL != "" {
		storeName = "PostGIS"
		st, err = postgis.Open(ctx, dbURL, postgis.Options{})
	} else {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return err
		}
		st, err = embedded.Open(dataDir, embedded.Options{})
	}
	if err != nil {
		return err
	}
	var importTime time.Duration
	var records int
	var villages []orb.Point
	var places, facs, divs int
	for k := range factor {
		c := countyOf(k)
		b := c.batch(k, base, synth)
		for _, d := range b.Divisions {
			if d.Level == gazetteer.LevelVillage && d.Seat != nil {
				villages = append(villages, *d.Seat)
			} else if p, ok := d.Geometry.(orb.Point); ok && d.Level == gazetteer.LevelVillage {
				villages = append(villages, p)
			}
		}
		places, facs, divs = places+len(b.Places), facs+len(b.Facilities), divs+len(b.Divisions)
		records += b.Len()
		t0 := time.Now()
		if _, err := st.Import(ctx, b, edit.Meta{Actor: "bench-scale", Action: "import"}); err != nil {
			st.Close()
			return fmt.Errorf("import county %d: %w", k, err)
		}
		importTime += time.Since(t0)
		fmt.Fprintf(os.Stderr, "scale: county %d/%d imported (%d records, %v so far)\n", k+1, factor, records,
			importTime.Round(time.Millisecond))
	}
	if err := st.Close(); err != nil {
		return err
	}
	size, err := storeSize(ctx, dataDir, dbURL)
	if err != nil {
		return err
	}

	// Serve it.
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"serve", "--addr", addr, "--no-sample", "--anonymous", "read"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	} else {
		args = append(args, "--data-dir", dataDir)
	}
	cmd := exec.Command(bin, args...)
	var serveLog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &serveLog, &serveLog
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	client := &http.Client{Timeout: 2 * time.Minute}
	first := "http://" + addr + "/api/divisions/" + countyOf(0).code
	for {
		resp, err := client.Get(first)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(t0) > 10*time.Minute {
			return fmt.Errorf("civmap serve did not answer in 10 min: %s", serveLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	startup := time.Since(t0)

	r := rand.New(rand.NewPCG(7, uint64(factor)))
	get := func(path string) (time.Duration, error) {
		t := time.Now()
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
			return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return time.Since(t), nil
	}
	measure := func(path func(i int) string) (p50, p99 time.Duration, err error) {
		var ds []time.Duration
		for i := range n {
			d, err := get(path(i))
			if err != nil {
				return 0, 0, err
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)], nil
	}
	seen := map[maptile.Tile]bool{}
	tilePath := func(int) string {
		for {
			t := maptile.At(villages[r.IntN(len(villages))], 14)
			if !seen[t] {
				seen[t] = true
				return fmt.Sprintf("/tiles/divisions,places,facilities/%d/%d/%d.mvt", t.Z, t.X, t.Y)
			}
		}
	}
	type row struct {
		name     string
		p50, p99 time.Duration
	}
	var rows []row
	for _, q := range []struct {
		name string
		path func(int) string
	}{
		{"tile z14 (uncached)", tilePath},
		{"search", func(int) string {
			return "/api/places?limit=20&q=" + url.QueryEscape(fmt.Sprintf("测试%d", r.IntN(perCounty)))
		}},
		{"locate", func(int) string {
			v := villages[r.IntN(len(villages))]
			return fmt.Sprintf("/api/locate?lon=%.6f&lat=%.6f", v[0], v[1])
		}},
		{"bbox 0.01°", func(int) string {
			v := villages[r.IntN(len(villages))]
			return fmt.Sprintf("/api/places?limit=100&bbox=%.4f,%.4f,%.4f,%.4f", v[0]-0.005, v[1]-0.005, v[0]+0.005, v[1]+0.005)
		}},
	} {
		p50, p99, err := measure(q.path)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		rows = append(rows, row{q.name, p50, p99})
	}
	rss, hwm := procMem(cmd.Process.Pid)

	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	fmt.Printf("| %s | %d× | %d | %d | %d | %.1f s | %.0f MB | %.2f s | %d / %d MB |", storeName, factor, divs, places,
		facs, importTime.Seconds(), float64(size)/1e6, startup.Seconds(), rss>>10, hwm>>10)
	for _, r := range rows {
		fmt.Printf(" %s / %s |", ms(r.p50), ms(r.p99))
	}
	fmt.Println()
	return nil
}

// storeSize is the bbolt file(s) or the database size, in bytes.
func storeSize(ctx context.Context, dataDir, dbURL string) (int64, error) {
	if dbURL != "" {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var n int64
		err = conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
		return n, err
	}
	var n int64
	err := filepath.Walk(dataDir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

// procMem is VmRSS and VmHWM of pid in KiB (0 if unreadable).
func procMem(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			rss = v
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
