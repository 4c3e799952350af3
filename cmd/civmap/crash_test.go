package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap/data"
	"civmap/data/sample"
	"civmap/facilities"
	"civmap/gazetteer"
)

// The crash tests kill `civmap` with SIGKILL at random moments while it writes, restart, and check what the store
// promises: an import is all or nothing; every write that was acknowledged (2xx received) is there; a write that was
// not acknowledged is either wholly there or not at all; and data.CheckStore finds no fault (indexes, history chains,
// audit links). Kill points per store: crashImports during a 100,000-place import, crashEdits during streams of edits,
// crashInspections during an inspection import.
const (
	crashImports     = 5
	crashEdits       = 45
	crashInspections = 10
	crashPlaces      = 100_000
)

// TestCrashImport kills `civmap import` of 100,000 places at random moments: after each kill the store holds a whole
// number of imports (0 or 100,000 places per attempt) and checks clean.
func TestCrashImport(t *testing.T) {
	bin := civmapBinary(t)
	var file bytes.Buffer
	if err := sample.WriteSyntheticPlaces(&file, crashPlaces, 7); err != nil {
		t.Fatal(err)
	}
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		serveBin(t, bin, nil, sa...).stop() // loads the sample (the places need its divisions)
		rng := rand.New(rand.NewPCG(1, uint64(len(sa))))
		committed, killed := 0, 0
		var wholeRun time.Duration
		for i := range crashImports + 1 { // attempt 0 runs whole, then crashImports are killed
			// Each attempt imports new ids (prefix K0…, K1…), so a committed attempt is seen as 100,000 more places.
			path := filepath.Join(t.TempDir(), "places.geojson")
			body := bytes.ReplaceAll(file.Bytes(), []byte(`"id":"G`), []byte(`"id":"K`+strconv.Itoa(i)))
			if err := os.WriteFile(path, body, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, append([]string{"import", "--kind", "places"}, append(sa, path)...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				// The first attempt runs to the end: the baseline for the kill moments.
				if err := cmd.Wait(); err != nil {
					t.Fatalf("import: %v\n%s", err, out.String())
				}
				wholeRun = time.Since(start)
				committed++
			} else {
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				// A moment between 5 % and 110 % of the whole run: most land inside the transaction, some at its commit
				// or after it.
				delay := time.Duration(float64(wholeRun) * (0.05 + 1.05*rng.Float64()))
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("import %d ended before its kill: %v\n%s", i, err, out.String())
					}
					committed++
				case <-time.After(delay):
					_ = cmd.Process.Kill()
					<-done
					killed++
				}
			}
			n := countTestPlaces(t, sf)
			if n%crashPlaces != 0 {
				t.Fatalf("after attempt %d the store holds %d imported places: a partial import", i, n)
			}
			if n/crashPlaces < committed || n/crashPlaces > i+1 {
				t.Fatalf("after attempt %d (%d ran to the end) the store holds %d imports", i, committed, n/crashPlaces)
			}
			committed = n / crashPlaces
		}
		checkClean(t, sf)
		t.Logf("%d kills during 100,000-place imports, %d imports committed; a whole import took %v", killed,
			committed, wholeRun.Round(time.Millisecond))
	})
}

// TestCrashEdits kills `civmap serve` while four writers edit over HTTP: three PATCH a facility each with a new name
// per write, one POSTs new facilities. After each restart every acknowledged write is there, no unacknowledged one is
// half there (a facility's name is one that was sent, at or after the last acknowledged one), and the store checks
// clean.
func TestCrashEdits(t *testing.T) {
	bin := civmapBinary(t)
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		code, out, errOut := runBin(t, bin, nil, append([]string{"token", "create", "--name", "crash", "--role", "editor"}, sa...)...)
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		token := lines[len(lines)-1]
		// The first serve loads the sample; the writers' facilities are its first three, in one township.
		serveBin(t, bin, nil, sa...).stop()
		st, _, err := sf.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		page, err := st.Facilities(context.Background(), facilities.FacilityQuery{Limit: 3})
		st.Close()
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("facilities: %v %v", page.Items, err)
		}
		fac := page.Items
		// acked[w] is the last write of writer w that got a 2xx; sent[w] the last one sent; created the POSTs that got one.
		acked, sent := make([]int, 4), make([]int, 4)
		created := map[int]bool{}
		rng := rand.New(rand.NewPCG(2, uint64(len(sa))))
		writes := 0
		for kill := range crashEdits {
			s := serveBin(t, bin, nil, sa...)
			client := &http.Client{Timeout: 10 * time.Second}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					version := ""
					for {
						select {
						case <-stop:
							return
						default:
						}
						mu.Lock()
						sent[w]++
						n := sent[w]
						mu.Unlock()
						var req *http.Request
						if w < 3 {
							if version == "" {
								version = currentETag(client, s.url+"/api/facilities/"+url.PathEscape(fac[w].ID))
								if version == "" {
									return // the server is gone
								}
							}
							req, _ = http.NewRequest("PATCH", s.url+"/api/facilities/"+url.PathEscape(fac[w].ID),
								strings.NewReader(fmt.Sprintf(`{"properties":{"name":"崩溃测试-%d-%d"}}`, w, n)))
							req.Header.Set("Content-Type", "application/merge-patch+json")
							req.Header.Set("If-Match", version)
						} else {
							f := fac[0]
							req, _ = http.NewRequest("POST", s.url+"/api/facilities", strings.NewReader(fmt.Sprintf(
								`{"type":"Feature","id":"crash-%d","geometry":{"type":"Point","coordinates":[%v,%v]},`+
									`"properties":{"name":"新设施%d","type":"canteen","township_code":%q}}`,
								n, f.Location[0], f.Location[1], n, f.TownshipCode)))
							req.Header.Set("Content-Type", "application/geo+json")
						}
						req.Header.Set("Authorization", "Bearer "+token)
						resp, err := client.Do(req)
						if err != nil {
							return // killed mid-request: this write is unacknowledged
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode/100 != 2 {
							t.Errorf("writer %d write %d: %d", w, n, resp.StatusCode)
							return
						}
						version = resp.Header.Get("ETag")
						mu.Lock()
						acked[w] = n
						if w == 3 {
							created[n] = true
						}
						writes++
						mu.Unlock()
					}
				}()
			}
			time.Sleep(time.Duration(50+rng.IntN(500)) * time.Millisecond)
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
			close(stop)
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			verifyEdits(t, sf, fac, acked, sent, created, kill)
		}
		checkClean(t, sf)
		t.Logf("%d kills during edit streams; %d writes acknowledged", crashEdits, writes)
	})
}

func currentETag(client *http.Client, u string) string {
	resp, err := client.Get(u)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("ETag")
}

// verifyEdits opens the store of a killed server and checks the writers' records against what they sent and what was
// acknowledged, then runs data.CheckStore.
func verifyEdits(t *testing.T, sf *storeFlags, fac []facilities.Facility, acked, sent []int, created map[int]bool, kill int) {
	t.Helper()
	ctx := context.Background()
	st, _, err := sf.open(ctx)
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", kill, err)
	}
	defer st.Close()
	var faults []string
	if _, err := data.CheckStore(ctx, st, func(f data.Fault) { faults = append(faults, f.String()) }); err != nil {
		t.Fatalf("kill %d: CheckStore: %v", kill, err)
	}
	if len(faults) > 0 {
		t.Fatalf("kill %d: CheckStore: %v", kill, faults)
	}
	for w := range 3 {
		f, err := st.Facility(ctx, fac[w].ID)
		if err != nil {
			t.Fatalf("kill %d: facility %s: %v", kill, fac[w].ID, err)
		}
		n := 0
		if f.Name != fac[w].Name {
			if _, err := fmt.Sscanf(f.Name, "崩溃测试-%d-%d", new(int), &n); err != nil {
				t.Fatalf("kill %d: facility %s is named %q: not a name any writer sent", kill, f.ID, f.Name)
			}
		}
		if n < acked[w] || n > sent[w] {
			t.Fatalf("kill %d: writer %d's facility holds write %d; acknowledged up to %d, sent up to %d", kill, w, n,
				acked[w], sent[w])
		}
	}
	for n := 1; n <= sent[3]; n++ {
		f, err := st.Facility(ctx, fmt.Sprintf("crash-%d", n))
		switch {
		case err == nil && f.Name != fmt.Sprintf("新设施%d", n):
			t.Fatalf("kill %d: crash-%d is half written: %+v", kill, n, f)
		case err != nil && created[n]:
			t.Fatalf("kill %d: acknowledged facility crash-%d is lost: %v", kill, n, err)
		}
	}
}

// countTestPlaces counts the imported synthetic places (category "test") in the store.
func countTestPlaces(t *testing.T, sf *storeFlags) int {
	t.Helper()
	st, _, err := sf.open(context.Background())
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer st.Close()
	p, err := st.Places(context.Background(), gazetteer.PlaceQuery{Category: "test", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p.NumberMatched
}

// checkClean runs `civmap check-store`-equivalent data.CheckStore on the store and fails on any fault.
func checkClean(t *testing.T, sf *storeFlags) {
	t.Helper()
	st, _, err := sf.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var faults []string
	sum, err := data.CheckStore(context.Background(), st, func(f data.Fault) { faults = append(faults, f.String()) })
	if err != nil || len(faults) > 0 {
		t.Fatalf("CheckStore: %v %v", err, faults)
	}
	t.Logf("check-store: %+v", sum)
}

// TestCrashInspectionImport kills `civmap inspection import` at random moments: each attempt's sheet names the team
// 象山组<k>, and after every kill the round's marker findings name one attempt's team throughout (an import is all or
// nothing), and the store checks clean.
func TestCrashInspectionImport(t *testing.T) {
	bin := civmapBinary(t)
	sheet, err := os.ReadFile("testdata/inspection-xiangning-2023.csv")
	if err != nil {
		t.Fatal(err)
	}
	team := regexp.MustCompile(`"team":"象山组(\d*)"`)
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		serveBin(t, bin, nil, sa...).stop()
		rng := rand.New(rand.NewPCG(3, uint64(len(sa))))
		var whole time.Duration
		kills := 0
		for k := range crashInspections + 1 {
			path := filepath.Join(t.TempDir(), "sheet.csv")
			if err := os.WriteFile(path, bytes.ReplaceAll(sheet, []byte("象山组"), []byte("象山组"+strconv.Itoa(k))), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, append([]string{"inspection", "import", "--line", "象宁线", "--year", "2023",
				"--started-on", "2023-04-10", "--ended-on", "2023-04-20"}, append(sa, path)...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if k == 0 {
				if err := <-done; err != nil {
					t.Fatalf("inspection import: %v\n%s", err, out.String())
				}
				whole = time.Since(start)
			} else {
				select {
				case <-done:
				case <-time.After(time.Duration(float64(whole) * (0.05 + 1.05*rng.Float64()))):
					_ = cmd.Process.Kill()
					<-done
					kills++
				}
			}
			st, _, err := sf.open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			docs, err := st.Docs(context.Background(), "marker-findings", "象宁线-2023/")
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, d := range docs {
				if m := team.FindSubmatch(d.Body); m != nil {
					seen[string(m[1])]++
				}
			}
			if len(seen) != 1 {
				t.Fatalf("after attempt %d the round's findings name the teams of attempts %v: a partial import", k, seen)
			}
		}
		checkClean(t, sf)
		t.Logf("%d kills during inspection imports (a whole one took %v)", kills, whole.Round(time.Millisecond))
	})
}
