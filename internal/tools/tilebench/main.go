// Command tilebench measures tile serving over HTTP side by side, in one run and one process tree, with one load client
// and one tile set (tiles.BenchPaths: every z8–z14 tile over the county, in a fixed shuffled order):
//
//   - civmap serve on the embedded store, tile cache off and on;
//   - civmap serve on PostGIS (-database-url), cache off and on;
//   - bare: civmap's own ST_AsMVT statement run through pgx in this process (postgis.Store.BareMVT), no HTTP;
//   - fixed: a plain net/http server that answers every tile path with fixed bytes of the size civmap answered it with
//     (same status, same headers): what serving costs when making the tile costs nothing;
//   - pg_tileserv (-pg-tileserv BINARY, with -database-url): CrunchyData's tile server on the same database, serving
//     the same tables (public.facilities, public.divisions) at its defaults (pool of 4, as civmap's on 2 cores; no
//     cache). Its tiles hold every column and, for divisions, the village rows too, so it is a reference, not a twin.
//
// For each layer, each concurrency and each configuration it runs -rounds interleaved rounds of -duration (each at
// least one pass over the tile set) and prints the medians: tiles/s, p50/p99 latency, and the server's CPU per tile
// (utime+stime of the server process from /proc, µs; for bare, tilebench's own: what pgx's side of a round trip costs
// a Go client), then the ratios of issue 14:
//
//	go run ./internal/tools/tilebench -civmap bin/civmap -database-url postgres://… [-layers facilities,divisions] \
//	    [-conns 1,8,64] [-duration 2s] [-rounds 3] [-pprof DIR [-pprof-conns 8]] [-pg-tileserv BINARY]
//
// The client asks for gzip as a browser's MapLibre does (Accept-Encoding: gzip) and reads the bytes as sent, without
// decompressing them. With -pprof DIR it also takes 10-second CPU and allocation profiles of civmap (each store, cache
// off and on, under -pprof-conns connections) into DIR. Without -database-url the PostGIS configurations are left out.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"civmap/data/postgis"
	"civmap/tiles"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-serve-fixed" {
		if err := serveFixed(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "tilebench fixed server:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.StringVar(&cfg.civmap, "civmap", "bin/civmap", "the civmap binary to serve with")
	flag.StringVar(&cfg.dbURL, "database-url", os.Getenv("CIVMAP_TEST_DATABASE_URL"), "PostGIS database for the PostGIS configurations (emptied and loaded with the sample); empty: embedded only")
	layers := flag.String("layers", "facilities,divisions", "layers, each measured on its own")
	conns := flag.String("conns", "1,8,64", "concurrent connections")
	flag.DurationVar(&cfg.duration, "duration", 2*time.Second, "length of one run (at least one pass over the tile set)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "interleaved rounds; the medians are printed")
	flag.StringVar(&cfg.pprofDir, "pprof", "", "directory for CPU and allocation profiles of civmap on PostGIS (empty: none)")
	flag.IntVar(&cfg.pprofConns, "pprof-conns", 8, "concurrent connections while the profiles are taken")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the medians as JSON to this file")
	flag.StringVar(&cfg.pgTileserv, "pg-tileserv", "", "a pg_tileserv binary to measure on the same database (empty: left out)")
	flag.Parse()
	cfg.layers = strings.Split(*layers, ",")
	for _, c := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "tilebench: -conns %q: want positive integers\n", *conns)
			os.Exit(2)
		}
		cfg.conns = append(cfg.conns, n)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "tilebench:", err)
		os.Exit(1)
	}
}

type config struct {
	civmap, dbURL, pprofDir, jsonOut string
	pgTileserv                       string
	layers                           []string
	conns                            []int
	duration                         time.Duration
	rounds, pprofConns               int
}

// target is one configuration under test: an HTTP server (a child process) or the bare statement.
type target struct {
	name  string
	base  string // http://127.0.0.1:PORT
	pid   int    // the server process, for its CPU time; 0 for bare
	pprof string // the server's pprof base URL, when it serves one
	bare  *postgis.Store
	cmd   *exec.Cmd
	path  func(string) string // the server's path for a BenchPaths path; nil: the same
}

// result is one run: tiles, seconds, latencies and the server's CPU time.
type result struct {
	TilesPerS float64 `json:"tiles_per_s"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	CPUus     float64 `json:"server_cpu_us_per_tile,omitempty"`
}

func run(cfg config) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "tilebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	start := func(name string, args ...string) error {
		t, err := startCivmap(cfg.civmap, name, tmp, cfg.pprofDir != "", args...)
		if err != nil {
			return err
		}
		targets = append(targets, t)
		return nil
	}
	if err := start("embedded/uncached", "--data-dir", filepath.Join(tmp, "e1"), "--tile-cache-mb", "-1"); err != nil {
		return err
	}
	if err := start("embedded/cached", "--data-dir", filepath.Join(tmp, "e2")); err != nil {
		return err
	}
	if cfg.dbURL != "" {
		// One server loads the sample into the database first; the other opens it loaded.
		if err := start("postgis/uncached", "--database-url", cfg.dbURL, "--tile-cache-mb", "-1"); err != nil {
			return err
		}
		if err := start("postgis/cached", "--database-url", cfg.dbURL); err != nil {
			return err
		}
		st, err := postgis.Open(ctx, cfg.dbURL, postgis.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		targets = append(targets, &target{name: "bare", bare: st})
		if cfg.pgTileserv != "" {
			t, err := startPgTileserv(cfg.pgTileserv, cfg.dbURL, tmp)
			if err != nil {
				return err
			}
			targets = append(targets, t)
		}
	}

	// The fixed-bytes server answers each path as embedded/cached answered it: its size, encoding and ETag.
	answers := map[string]answer{}
	client := newClient(1)
	for _, layer := range cfg.layers {
		for _, p := range tiles.BenchPaths(layer) {
			a, _, err := get(client, targets[1].base+p)
			if err != nil {
				return err
			}
			answers[p] = a
		}
	}
	answersFile := filepath.Join(tmp, "answers.json")
	b, _ := json.Marshal(answers)
	if err := os.WriteFile(answersFile, b, 0o644); err != nil {
		return err
	}
	fixed, err := startFixed(answersFile)
	if err != nil {
		return err
	}
	targets = append(targets, fixed)

	if cfg.pprofDir != "" {
		if err := profile(cfg, targets); err != nil {
			return err
		}
	}

	type key struct {
		layer, target string
		conns         int
	}
	runs := map[key][]result{}
	for round := 1; round <= cfg.rounds; round++ {
		for _, layer := range cfg.layers {
			paths := tiles.BenchPaths(layer)
			for _, c := range cfg.conns {
				for _, t := range targets {
					if round == 1 && strings.HasSuffix(t.name, "/cached") && c == cfg.conns[0] {
						if _, err := drive(t, paths, 4, 0); err != nil { // warm the cache: the runs measure hits
							return err
						}
					}
					r, err := drive(t, paths, c, cfg.duration)
					if err != nil {
						return fmt.Errorf("%s %s c=%d: %w", t.name, layer, c, err)
					}
					k := key{layer, t.name, c}
					runs[k] = append(runs[k], r)
				}
			}
		}
		fmt.Fprintf(os.Stderr, "round %d of %d done\n", round, cfg.rounds)
	}

	med := map[key]result{}
	for k, rs := range runs {
		med[k] = median(rs)
	}
	type row struct {
		Layer  string `json:"layer"`
		Target string `json:"target"`
		Conns  int    `json:"conns"`
		result
	}
	var rows []row
	fmt.Printf("tile set: %d tiles per layer (z8–z14 over the county); %d rounds of %s, medians; client asks for gzip\n",
		len(tiles.BenchPaths(cfg.layers[0])), cfg.rounds, cfg.duration)
	fmt.Printf("CPU: the server process's; for bare, tilebench's own (pgx's side of the round trip, no HTTP)\n\n")
	fmt.Printf("%-11s %-18s %5s %10s %8s %8s %12s\n", "layer", "target", "conns", "tiles/s", "p50 ms", "p99 ms", "CPU µs/tile")
	for _, layer := range cfg.layers {
		for _, c := range cfg.conns {
			for _, t := range targets {
				r := med[key{layer, t.name, c}]
				rows = append(rows, row{layer, t.name, c, r})
				cpu := fmt.Sprintf("%.0f", r.CPUus)
				fmt.Printf("%-11s %-18s %5d %10.0f %8.3f %8.3f %12s\n", layer, t.name, c, r.TilesPerS, r.P50ms, r.P99ms, cpu)
			}
		}
	}
	fmt.Println()
	// Time per tile at a concurrency is the inverse of throughput there.
	tpt := func(layer, name string, c int) float64 { return 1 / med[key{layer, name, c}].TilesPerS }
	for _, layer := range cfg.layers {
		for _, c := range cfg.conns {
			fix := med[key{layer, "fixed", c}]
			for _, store := range []string{"embedded", "postgis"} {
				if _, ok := med[key{layer, store + "/cached", c}]; !ok {
					continue
				}
				fmt.Printf("%-11s c=%-3d %-8s cached ÷ fixed %.2f (target ≥ 0.9)\n", layer, c, store,
					med[key{layer, store + "/cached", c}].TilesPerS/fix.TilesPerS)
			}
			if _, ok := med[key{layer, "bare", c}]; ok {
				ratio := tpt(layer, "postgis/uncached", c) / (tpt(layer, "bare", c) + tpt(layer, "fixed", c))
				beyond := med[key{layer, "postgis/uncached", c}].CPUus - fix.CPUus
				fmt.Printf("%-11s c=%-3d postgis uncached time ÷ (bare + fixed) %.2f (target ≤ 1.25); server CPU beyond fixed %.0f µs/tile (target ≤ 60), %.0f beyond fixed + bare's pgx\n",
					layer, c, ratio, beyond, beyond-med[key{layer, "bare", c}].CPUus)
			}
			if pt, ok := med[key{layer, "pg_tileserv", c}]; ok {
				fmt.Printf("%-11s c=%-3d postgis uncached ÷ pg_tileserv tiles/s %.2f; server CPU per tile %.2f of pg_tileserv's\n",
					layer, c, med[key{layer, "postgis/uncached", c}].TilesPerS/pt.TilesPerS,
					med[key{layer, "postgis/uncached", c}].CPUus/pt.CPUus)
			}
		}
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		return os.WriteFile(cfg.jsonOut, b, 0o644)
	}
	return nil
}

// median is the run with the median tiles/s (its latencies and CPU with it, so a row is one real run).
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return cmp.Compare(a.TilesPerS, b.TilesPerS) })
	return s[len(s)/2]
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startCivmap starts `civmap serve` with args and waits for /readyz.
func startCivmap(bin, name, tmp string, withPprof bool, args ...string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args = append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)
	t := &target{name: name, base: "http://" + addr}
	if withPprof {
		paddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", paddr)
		t.pprof = "http://" + paddr
	}
	logf, err := os.Create(filepath.Join(tmp, strings.ReplaceAll(name, "/", "-")+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	t.cmd, t.pid = cmd, cmd.Process.Pid
	if err := waitReady(t.base+"/readyz", cmd, 5*time.Minute); err != nil {
		t.stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s: %w\n%s", name, err, log)
	}
	return t, nil
}

// startPgTileserv starts pg_tileserv on dbURL and waits for its /health. Its table layers are named schema.table and
// its tiles end in .pbf: /tiles/facilities/z/x/y.mvt is asked as /public.facilities/z/x/y.pbf.
func startPgTileserv(bin, dbURL, tmp string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	logf, err := os.Create(filepath.Join(tmp, "pg_tileserv.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = tmp // it looks for ./assets and a config file beside it: none, so its defaults
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "TS_HTTPHOST="+host, "TS_HTTPPORT="+port)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	t := &target{name: "pg_tileserv", base: "http://" + addr, pid: cmd.Process.Pid, cmd: cmd, path: func(p string) string {
		rest, _ := strings.CutPrefix(p, "/tiles/")
		layer, zxy, _ := strings.Cut(rest, "/")
		return "/public." + layer + "/" + strings.TrimSuffix(zxy, ".mvt") + ".pbf"
	}}
	if err := waitReady(t.base+"/health", cmd, time.Minute); err != nil {
		t.stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("pg_tileserv: %w\n%s", err, log)
	}
	return t, nil
}

// startFixed re-runs this program as the fixed-bytes server (a process of its own, so its CPU time is its own).
func startFixed(answersFile string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-fixed", addr, answersFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &target{name: "fixed", base: "http://" + addr, pid: cmd.Process.Pid, cmd: cmd}
	if err := waitReady(t.base+"/readyz", cmd, 30*time.Second); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

func waitReady(url string, cmd *exec.Cmd, limit time.Duration) error {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it was ready: %v", err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("not ready in time")
}

func (t *target) stop() {
	if t.cmd != nil && t.cmd.Process != nil {
		_ = t.cmd.Process.Kill()
	}
}

// answer is what civmap sent for one tile path: the body's length as sent (0: 204), its Content-Encoding ("" or
// "gzip") and its ETag.
type answer struct {
	N        int    `json:"n"`
	Encoding string `json:"encoding,omitempty"`
	ETag     string `json:"etag,omitempty"`
}

// fixedAnswer is an answer's header values, made once so that serving one allocates nothing.
type fixedAnswer struct {
	n                      int
	length, encoding, etag []string
}

// serveFixed answers every tile path listed in answersFile with that many fixed bytes and the headers civmap sent with
// it (204 for size 0; its encoding and ETag, CORS and request id headers included, so the answers are the same
// bytes), and /readyz with 200: a plain net/http server, no router, no middleware.
func serveFixed(addr, answersFile string) error {
	b, err := os.ReadFile(answersFile)
	if err != nil {
		return err
	}
	var answers map[string]answer
	if err := json.Unmarshal(b, &answers); err != nil {
		return err
	}
	largest := 0
	fixed := make(map[string]fixedAnswer, len(answers))
	for p, a := range answers {
		largest = max(largest, a.N)
		f := fixedAnswer{n: a.N, length: []string{strconv.Itoa(a.N)}, etag: []string{a.ETag}}
		if a.Encoding != "" {
			f.encoding = []string{a.Encoding}
		}
		fixed[p] = f
	}
	body := make([]byte, largest)
	for i := range body {
		body[i] = byte(i * 7)
	}
	var (
		cacheControl = []string{tiles.DefaultCacheControl}
		vary         = []string{"Accept-Encoding"}
		contentType  = []string{tiles.MVTContentType}
		// The headers civmap adds to every tile: CORS, and a request id (32 hex digits).
		origin    = []string{"*"}
		expose    = []string{"ETag, Content-Encoding, Content-Length, X-Request-Id"}
		requestID = []string{"0123456789abcdef0123456789abcdef"}
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		a, ok := fixed[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		hd := w.Header()
		hd["Cache-Control"], hd["Vary"] = cacheControl, vary
		hd["Access-Control-Allow-Origin"], hd["Access-Control-Expose-Headers"], hd["X-Request-Id"] = origin, expose, requestID
		if a.n == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hd["Etag"], hd["Content-Type"], hd["Content-Length"] = a.etag, contentType, a.length
		if a.encoding != nil {
			hd["Content-Encoding"] = a.encoding
		}
		_, _ = w.Write(body[:a.n])
	})
	return http.ListenAndServe(addr, h)
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true}, Timeout: time.Minute}
}

// get fetches url as a browser would ask for a tile and returns the answer (the body's length as sent, its encoding
// and ETag) and the status.
func get(c *http.Client, url string) (answer, int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return answer{}, 0, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return answer{}, 0, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return answer{}, resp.StatusCode, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return answer{N: int(n), Encoding: resp.Header.Get("Content-Encoding"), ETag: resp.Header.Get("ETag")},
		resp.StatusCode, nil
}

// drive requests paths in order from c connections for at least d and at least one whole pass (d = 0: exactly one
// pass), and measures tiles/s, latencies and the server's CPU time per tile (bare: this process's).
func drive(t *target, paths []string, c int, d time.Duration) (result, error) {
	var next atomic.Int64
	var failed atomic.Pointer[error]
	lat := make([][]time.Duration, c)
	client := newClient(c)
	ts := tiles.BenchmarkTileSet() // BenchPaths names these tiles, in this order
	// The server's CPU; for bare, this process's: what pgx's side of the statement's round trip costs in a Go client.
	pid := t.pid
	if t.bare != nil {
		pid = os.Getpid()
	}
	cpu0 := cpuTime(pid)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) && (d == 0 || time.Since(begin) >= d) || failed.Load() != nil {
					return
				}
				i %= len(paths)
				s := time.Now()
				var err error
				switch {
				case t.bare != nil:
					_, err = t.bare.BareMVT(context.Background(), ts[i], layersOf(paths[i]))
				case t.path != nil:
					_, _, err = get(client, t.base+t.path(paths[i]))
				default:
					_, _, err = get(client, t.base+paths[i])
				}
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lat[w] = append(lat[w], time.Since(s))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if p := failed.Load(); p != nil {
		return result{}, *p
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{TilesPerS: float64(len(all)) / elapsed.Seconds(), P50ms: ms(all[len(all)/2]),
		P99ms: ms(all[len(all)*99/100])}
	if pid != 0 {
		r.CPUus = (cpuTime(pid) - cpu0).Seconds() * 1e6 / float64(len(all))
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var layerCache sync.Map

func layersOf(path string) []tiles.Layer {
	name := strings.Split(path, "/")[2]
	if v, ok := layerCache.Load(name); ok {
		return v.([]tiles.Layer)
	}
	ls, err := tiles.ParseLayers(name)
	if err != nil {
		panic(err) // BenchPaths only names registered layers
	}
	layerCache.Store(name, ls)
	return ls
}

// cpuTime is the user plus system CPU time of process pid so far (/proc/PID/stat, clock ticks of 10 ms); 0 for pid 0.
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// profile takes CPU and allocation profiles of each civmap configuration (each store, cache off and on) under
// cfg.pprofConns connections' load of the first layer, into cfg.pprofDir.
func profile(cfg config, targets []*target) error {
	if err := os.MkdirAll(cfg.pprofDir, 0o755); err != nil {
		return err
	}
	paths := tiles.BenchPaths(cfg.layers[0])
	for _, t := range targets {
		if t.pprof == "" || !strings.HasPrefix(t.name, "postgis/") && !strings.HasPrefix(t.name, "embedded/") {
			continue
		}
		if strings.HasSuffix(t.name, "/cached") {
			if _, err := drive(t, paths, 4, 0); err != nil {
				return err
			}
		}
		done := make(chan error, 1)
		go func() {
			_, err := drive(t, paths, cfg.pprofConns, 11*time.Second)
			done <- err
		}()
		base := filepath.Join(cfg.pprofDir, strings.ReplaceAll(t.name, "/", "-"))
		if err := download(t.pprof+"/debug/pprof/profile?seconds=10", base+".cpu.pprof"); err != nil {
			return err
		}
		if err := download(t.pprof+"/debug/pprof/allocs", base+".allocs.pprof"); err != nil {
			return err
		}
		if err := <-done; err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "profiles of %s in %s.*.pprof\n", t.name, base)
	}
	return nil
}

func download(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
