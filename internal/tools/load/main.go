// Command load drives mixed traffic at a running civmap over loopback and reports requests/s, latency percentiles,
// errors and 5xx, the server's memory high-water mark and (PostGIS) its open database connections.
//
//	go run ./internal/tools/load -url http://127.0.0.1:8080 -conns 200 -duration 60s -token EDITOR_TOKEN \
//	    [-pid SERVER_PID] [-database-url postgres://…]
//
// The mix per request: 40 % tiles of the z8–z14 county set (tiles.BenchmarkTileSet; the first visit of a tile is
// uncached, later ones cached), 15 % GeoJSON feature queries (places in a random bbox), 15 % locate, 15 % place
// search, 10 % single records, 5 % edits (a PATCH of the connection's own facility with If-Match). It is bounded:
// -duration and -max-requests stop it, and it refuses any host that is not loopback.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"civmap/tiles"
)

// Report is the load run's result (printed as JSON on the last line).
type Report struct {
	Conns       int            `json:"conns"`
	Seconds     float64        `json:"seconds"`
	Requests    int64          `json:"requests"`
	RPS         float64        `json:"requests_per_s"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	P999ms      float64        `json:"p999_ms"`
	Errors      int64          `json:"errors"`     // transport errors and unexpected statuses
	Status5xx   int64          `json:"status_5xx"` // of which 5xx
	Conflicts   int64          `json:"conflicts"`  // 412 on an edit (another writer won): expected, not an error
	ByKind      map[string]int `json:"by_kind"`    // requests per kind of the mix
	MaxRSSKiB   int64          `json:"server_vmhwm_kib,omitempty"`
	MaxDBConns  int64          `json:"max_db_connections,omitempty"`
	FirstErrors []string       `json:"first_errors,omitempty"`
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "civmap base URL (loopback only)")
	conns := flag.Int("conns", 200, "concurrent connections")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	maxReq := flag.Int64("max-requests", 10_000_000, "stop after this many requests")
	token := flag.String("token", os.Getenv("CIVMAP_TOKEN"), "editor token for the edits ($CIVMAP_TOKEN); none: no edits")
	pid := flag.Int("pid", 0, "server PID, to read its VmHWM from /proc")
	dbURL := flag.String("database-url", "", "PostGIS URL, to sample pg_stat_activity for the server's connections")
	maxDBConns := flag.Int64("max-db-conns", 0, "fail when the server held more pooled connections than this (its --max-conns); 0: no check")
	flag.Parse()
	rep, err := run(*base, *conns, *duration, *maxReq, *token, *pid, *dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	fmt.Printf("%d conns × %.0f s: %d requests, %.0f req/s; p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; %d errors (%d 5xx), %d edit conflicts",
		rep.Conns, rep.Seconds, rep.Requests, rep.RPS, rep.P50ms, rep.P99ms, rep.P999ms, rep.Errors, rep.Status5xx, rep.Conflicts)
	if rep.MaxRSSKiB > 0 {
		fmt.Printf("; server VmHWM %d MiB", rep.MaxRSSKiB/1024)
	}
	if rep.MaxDBConns > 0 {
		fmt.Printf("; at most %d pooled database connections", rep.MaxDBConns)
	}
	fmt.Println()
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	if rep.Errors > 0 {
		os.Exit(1)
	}
	if *maxDBConns > 0 && rep.MaxDBConns > *maxDBConns {
		fmt.Fprintf(os.Stderr, "load: the server held %d pooled database connections, above its --max-conns %d\n", rep.MaxDBConns, *maxDBConns)
		os.Exit(1)
	}
}

func run(base string, conns int, duration time.Duration, maxReq int64, token string, pid int, dbURL string) (Report, error) {
	u, err := url.Parse(base)
	if err != nil {
		return Report{}, err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Report{}, fmt.Errorf("refusing %s: the load tool only drives a server on loopback", base)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	facilities, err := facilityIDs(client, base)
	if err != nil {
		return Report{}, err
	}
	tileSet := tiles.BenchPaths(tiles.AllLayers())
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()

	var total, errs, s5xx, conflicts atomic.Int64
	var mu sync.Mutex
	var firstErrors []string
	byKind := map[string]int{}
	lat := make([][]time.Duration, conns)
	var maxDB atomic.Int64
	if dbURL != "" {
		go sampleDB(ctx, dbURL, &maxDB)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			fid := facilities[c%len(facilities)]
			etag := ""
			kinds := map[string]int{}
			for ctx.Err() == nil && total.Add(1) <= maxReq {
				kind, method, path, body := pick(rng, tileSet, fid, token != "" && c < len(facilities))
				if method == "PATCH" && etag == "" {
					etag = head(client, base+path)
				}
				req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
				if method == "PATCH" {
					req.Header.Set("Content-Type", "application/merge-patch+json")
					req.Header.Set("If-Match", etag)
					req.Header.Set("Authorization", "Bearer "+token)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						break // the run ended mid-request
					}
					errs.Add(1)
					note(&mu, &firstErrors, fmt.Sprintf("%s %s: %v", method, path, err))
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				kinds[kind]++
				switch {
				case method == "PATCH" && resp.StatusCode == http.StatusPreconditionFailed:
					conflicts.Add(1)
					etag = ""
				case method == "PATCH" && resp.StatusCode == http.StatusOK:
					etag = resp.Header.Get("ETag")
				case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent ||
					resp.StatusCode == http.StatusNotFound && kind == "locate":
				default:
					errs.Add(1)
					if resp.StatusCode >= 500 {
						s5xx.Add(1)
					}
					note(&mu, &firstErrors, fmt.Sprintf("%s %s: %d", method, path, resp.StatusCode))
				}
			}
			mu.Lock()
			for k, n := range kinds {
				byKind[k] += n
			}
			mu.Unlock()
		}()
	}
	var maxRSS int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if pid > 0 {
				maxRSS = max(maxRSS, vmHWM(pid))
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	if pid > 0 {
		maxRSS = max(maxRSS, vmHWM(pid))
	}
	return Report{Conns: conns, Seconds: elapsed, Requests: int64(len(all)), RPS: float64(len(all)) / elapsed,
		P50ms: pct(0.50), P99ms: pct(0.99), P999ms: pct(0.999), Errors: errs.Load(), Status5xx: s5xx.Load(),
		Conflicts: conflicts.Load(), ByKind: byKind, MaxRSSKiB: maxRSS, MaxDBConns: maxDB.Load(), FirstErrors: firstErrors}, nil
}

// pick draws one request of the mix.
func pick(rng *rand.Rand, tileSet []string, facility string, edits bool) (kind, method, path, body string) {
	lon := 121.6 + rng.Float64()*0.45
	lat := 29.0 + rng.Float64()*0.65
	switch r := rng.IntN(100); {
	case r < 40:
		return "tile", "GET", tileSet[rng.IntN(len(tileSet))], ""
	case r < 55:
		d := 0.01 + rng.Float64()*0.05
		return "features", "GET", fmt.Sprintf("/api/places?bbox=%.5f,%.5f,%.5f,%.5f&limit=100", lon, lat, lon+d, lat+d), ""
	case r < 70:
		return "locate", "GET", fmt.Sprintf("/api/locate?lon=%.5f&lat=%.5f", lon, lat), ""
	case r < 85:
		q := []string{"丹", "石浦", "村", "路", "社区", "中心", "dandong"}[rng.IntN(7)]
		return "search", "GET", "/api/places?q=" + url.QueryEscape(q) + "&limit=20", ""
	case r < 95 || !edits:
		return "record", "GET", "/api/facilities/" + url.PathEscape(facility), ""
	}
	return "edit", "PATCH", "/api/facilities/" + url.PathEscape(facility),
		`{"properties":{"capacity_meals_per_day":` + strconv.Itoa(rng.IntN(500)) + `}}`
}

func note(mu *sync.Mutex, list *[]string, s string) {
	mu.Lock()
	if len(*list) < 10 {
		*list = append(*list, s)
	}
	mu.Unlock()
}

func head(client *http.Client, u string) string {
	resp, err := client.Get(u)
	if err != nil {
		return ""
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("ETag")
}

func facilityIDs(client *http.Client, base string) ([]string, error) {
	resp, err := client.Get(base + "/api/facilities?limit=1000")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		return nil, err
	}
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("the server holds no facilities (load the sample)")
	}
	return ids, nil
}

// vmHWM is the process's peak resident set in KiB (/proc/PID/status), 0 when unreadable.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// sampleDB records the most pooled connections of the server to its database seen in pg_stat_activity, every 100 ms:
// client backends other than this sampler's and the store's LISTEN connection (application_name civmap-listener, one
// outside the pool), so that the figure is the one --max-conns bounds. Autovacuum and parallel workers are not clients.
func sampleDB(ctx context.Context, dbURL string, maxDB *atomic.Int64) {
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var n int64
			if conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
				AND backend_type = 'client backend' AND pid <> pg_backend_pid()
				AND application_name <> 'civmap-listener'`).Scan(&n) == nil && n > maxDB.Load() {
				maxDB.Store(n)
			}
		}
	}
}
