package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"civmap/data"
	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/internal/edit"
	"civmap/internal/httpx"
	"civmap/ogc"
)

// BenchOGC loads the Xiangshan sample and places into st, then measures through the HTTP handlers (in process, no
// network):
//   - PagedRead: a full paged read of the places collection (/ogc/collections/places/items?limit=10000, following
//     next links to the end), reported as items/s (issue 10's targets: 50,000 embedded, 20,000 PostGIS) and
//     items/cpu-s (per second of this process's CPU);
//   - Nearest: 2000 /api/spatial/nearest?k=5 per iteration at random points over the county (the sample's 406
//     facilities), reported as p50-ms and p99-ms of the wall clock (targets: p99 under 5 ms embedded, 20 ms PostGIS),
//     cpu-p99-ms of the querying thread's CPU time and cpu-ms/query of the process's.
func BenchOGC(b *testing.B, st data.Store, places []gazetteer.Place) {
	ctx := context.Background()
	if _, err := sample.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Import(ctx, data.Batch{Places: places}, edit.Meta{Actor: "bench", Action: "import"}); err != nil {
		b.Fatal(err)
	}
	published := 0
	for _, p := range places {
		if gazetteer.Published(p.Status) {
			published++
		}
	}
	fs, ok := st.(ogc.FeatureStore)
	if !ok {
		b.Fatalf("%T is not an ogc.FeatureStore", st)
	}
	r := httpx.NewRouter()
	ogc.Routes(r, fs)
	ogc.SpatialRoutes(r, fs)
	get := func(url string) []byte {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", url, rec.Code, rec.Body.String())
		}
		return rec.Body.Bytes()
	}
	type page struct {
		NumberMatched  int `json:"numberMatched"`
		NumberReturned int `json:"numberReturned"`
		Links          []struct{ Rel, Href string }
	}
	// The paged read's client reads what it needs of each page — the members before "features" (numberMatched,
	// numberReturned, links: encodeCollection writes them first) — and counts the features; it does not decode them,
	// so that the figure is the server's work and not encoding/json's in the client (which shares the process). One
	// response buffer serves every page.
	var buf bytes.Buffer
	readPage := func(url string) (page, int) {
		buf.Reset()
		rec := httptest.NewRecorder()
		rec.Body = &buf
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
		body := buf.Bytes()
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %.300s", url, rec.Code, body)
		}
		i := bytes.Index(body, []byte(`,"features":[`))
		var p page
		if i < 0 {
			b.Fatalf("%s: no features in %.300s", url, body)
		}
		if err := json.Unmarshal(append(body[:i:i], '}'), &p); err != nil {
			b.Fatalf("%s: %v in %.300s", url, err, body)
		}
		return p, bytes.Count(body[i:], []byte(`{"type":"Feature","id":`))
	}
	b.Run("PagedRead", func(b *testing.B) {
		total := 0
		cpu0 := cpuSeconds()
		for b.Loop() {
			url, n, matched := "http://bench/ogc/collections/places/items?limit=10000", 0, 0
			for url != "" {
				p, features := readPage(url)
				if features != p.NumberReturned {
					b.Fatalf("%s: numberReturned %d, %d features", url, p.NumberReturned, features)
				}
				n += p.NumberReturned
				matched = p.NumberMatched
				url = ""
				for _, l := range p.Links {
					if l.Rel == "next" {
						url = l.Href
					}
				}
			}
			if n != matched || n < published {
				b.Fatalf("paged %d places, numberMatched %d, imported %d published", n, matched, published)
			}
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "items/s")
		// On a shared machine the wall clock measures the neighbours too: items per second of this process's CPU
		// (user + system; PostgreSQL's own CPU is not in it) is the figure that repeats.
		b.ReportMetric(float64(total)/(cpuSeconds()-cpu0), "items/cpu-s")
	})
	b.Run("Nearest", func(b *testing.B) {
		// Besides the wall clock, each query's CPU time on its thread (the goroutine locked to it; the handler runs
		// on it): the p99 of that is the query's own cost, without the time spent waiting behind the neighbours for
		// a core (on PostGIS it leaves out the server's share).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu0 := cpuSeconds()
		queries := 0
		rng := rand.New(rand.NewPCG(1, 10))
		var lat, latCPU []time.Duration
		for b.Loop() {
			for range 2000 { // 2000 queries per iteration, so that -benchtime 1x still gives a p99
				url := fmt.Sprintf("http://bench/api/spatial/nearest?lon=%.6f&lat=%.6f&k=5", 121.55+0.5*rng.Float64(),
					29.05+0.6*rng.Float64())
				t0, c0 := time.Now(), threadCPU()
				body := get(url)
				lat, latCPU = append(lat, time.Since(t0)), append(latCPU, threadCPU()-c0)
				queries++
				if !strings.Contains(string(body), `"numberReturned":5`) {
					b.Fatalf("%s: %.300s", url, body)
				}
			}
		}
		slices.Sort(lat)
		slices.Sort(latCPU)
		q := func(ds []time.Duration, f float64) float64 { return float64(ds[int(f*float64(len(ds)-1))]) / 1e6 }
		b.ReportMetric(q(lat, 0.5), "p50-ms")
		b.ReportMetric(q(lat, 0.99), "p99-ms")
		b.ReportMetric(q(latCPU, 0.99), "cpu-p99-ms")
		b.ReportMetric((cpuSeconds()-cpu0)/float64(queries)*1000, "cpu-ms/query")
	})
}

// cpuSeconds is this process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// threadCPU is the CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
