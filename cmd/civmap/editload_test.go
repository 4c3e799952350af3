package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"civmap/internal/auth"
	"civmap/internal/edit"
)

// editAttempt is one PATCH an editor sent: the version it named in If-Match, the description it wrote (unique to the
// attempt), and what the server answered (status, and the ETag of an accepted write).
type editAttempt struct {
	editor string
	expect int64
	value  string
	status int
	etag   int64
}

// Issue 6's "Done when": 50 concurrent editors, each with its own token, edit ONE place over HTTP on the real router
// (auth middleware, If-Match, both stores). Each editor PATCHes the description with If-Match of the version it last
// read; a 412 makes it GET the place again before its next attempt. Afterwards, on each store: every accepted write
// (200 with its ETag) is in the history as that version, with that editor as actor and its value; no refused write's
// value is in any version; the versions are 1..N without gaps; the record equals version N; and the audit log holds
// exactly one entry per attempt for the place (ok for each accepted write, refused 412 for each stale one), no more.
func TestConcurrentEditorsOnePlace(t *testing.T) {
	const editors, attemptsEach = 50, 3
	stores(t, func(t *testing.T, sf *storeFlags) {
		st, audit := auditedStore(t, sf)
		ctx := context.Background()
		ts := serveWith(t, st, audit, auth.Options{})
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: editors + 2}}
		t.Cleanup(client.CloseIdleConnections)

		tokens := make([]string, editors)
		names := make([]string, editors)
		for i := range tokens {
			names[i] = fmt.Sprintf("editor-%02d", i)
			text, _, err := auth.Create(ctx, st, names[i], edit.RoleEditor)
			if err != nil {
				t.Fatal(err)
			}
			tokens[i] = "Bearer " + text
		}
		adminText, _, err := auth.Create(ctx, st, "load-admin", edit.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		admin := "Bearer " + adminText

		// One current, non-heritage place of the sample.
		list := decode[featureCollection](t, do(t, "GET", ts.URL+"/api/places?limit=50", ""))
		id := ""
		for _, f := range list.Features {
			if f.Properties["status"] == "current" && f.Properties["heritage"] == false {
				id = fmt.Sprint(f.ID)
				break
			}
		}
		if id == "" {
			t.Fatalf("no current non-heritage place among %d", len(list.Features))
		}
		placeURL := ts.URL + "/api/places/" + id
		startVersion := etagOf(t, do(t, "GET", placeURL, "").header)
		before, err := audit.Audit(ctx, edit.AuditQuery{Target: id})
		if err != nil {
			t.Fatal(err)
		}

		// send does one request with the editor's client; errors go to the caller (no t.Fatal off the test goroutine).
		send := func(method, url, body, token string, v int64) (int, http.Header, []byte, error) {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, url, rd)
			if err != nil {
				return 0, nil, nil, err
			}
			req.Header.Set("Authorization", token)
			if body != "" {
				req.Header.Set("Content-Type", "application/merge-patch+json")
				req.Header.Set("If-Match", `"`+strconv.FormatInt(v, 10)+`"`)
			}
			res, err := client.Do(req)
			if err != nil {
				return 0, nil, nil, err
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			return res.StatusCode, res.Header, b, err
		}

		results := make([][]editAttempt, editors)
		errs := make([]error, editors)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < editors; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = func() error {
					read := func() (int64, error) {
						status, h, b, err := send("GET", placeURL, "", tokens[i], 0)
						if err != nil {
							return 0, err
						}
						if status != http.StatusOK {
							return 0, fmt.Errorf("GET: %d %s", status, b)
						}
						return strconv.ParseInt(strings.Trim(h.Get("ETag"), `"`), 10, 64)
					}
					v, err := read()
					if err != nil {
						return err
					}
					<-start
					for a := 0; a < attemptsEach; a++ {
						at := editAttempt{editor: names[i], expect: v, value: fmt.Sprintf("负载 %s 第%d次", names[i], a)}
						body, _ := json.Marshal(map[string]any{"properties": map[string]any{"description": at.value}})
						status, h, b, err := send("PATCH", placeURL, string(body), tokens[i], v)
						if err != nil {
							return err
						}
						at.status = status
						switch status {
						case http.StatusOK:
							if at.etag, err = strconv.ParseInt(strings.Trim(h.Get("ETag"), `"`), 10, 64); err != nil {
								return fmt.Errorf("PATCH 200 with ETag %q", h.Get("ETag"))
							}
							v = at.etag
						case http.StatusPreconditionFailed:
							if !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
								return fmt.Errorf("412 as %s: %s", h.Get("Content-Type"), b)
							}
							if v, err = read(); err != nil {
								return err
							}
						default:
							return fmt.Errorf("PATCH If-Match %d: %d %s", at.expect, status, b)
						}
						results[i] = append(results[i], at)
					}
					return nil
				}()
			}(i)
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
		}

		var accepted, refused []editAttempt
		for _, rs := range results {
			for _, a := range rs {
				if a.status == http.StatusOK {
					accepted = append(accepted, a)
				} else {
					refused = append(refused, a)
				}
			}
		}
		sort.Slice(accepted, func(i, j int) bool { return accepted[i].etag < accepted[j].etag })
		t.Logf("%d attempts: %d accepted, %d refused (412)", editors*attemptsEach, len(accepted), len(refused))
		if len(accepted) == 0 || len(refused) == 0 {
			t.Fatalf("%d accepted and %d refused; 50 racing editors must see both", len(accepted), len(refused))
		}

		// History: versions 1..N without gaps; the accepted writes are exactly versions startVersion+1..N, each with its
		// editor as actor and its value; no refused value is in any version.
		hist, err := st.History(ctx, edit.KindPlace, id)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range hist {
			if v.Version != int64(i+1) {
				t.Fatalf("history version %d at position %d: versions have a gap or repeat", v.Version, i)
			}
		}
		n := int64(len(hist))
		if want := startVersion + int64(len(accepted)); n != want {
			t.Fatalf("history ends at version %d, want %d (start %d + %d accepted)", n, want, startVersion, len(accepted))
		}
		descOf := func(rec json.RawMessage) string {
			var f struct {
				Properties struct {
					Description string `json:"description"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(rec, &f); err != nil {
				t.Fatalf("version record %s: %v", rec, err)
			}
			return f.Properties.Description
		}
		inHistory := map[string]int64{}
		for _, v := range hist {
			inHistory[descOf(v.Record)] = v.Version
		}
		for k, a := range accepted {
			want := startVersion + int64(k) + 1
			if a.etag != want || a.expect != want-1 {
				t.Fatalf("accepted write %+v: ETag %d after If-Match %d; want ETag %d after %d", a, a.etag, a.expect, want, want-1)
			}
			v := hist[a.etag-1]
			if v.Meta.Actor != a.editor || v.Meta.Role != edit.RoleEditor || v.Meta.Action != "update" ||
				descOf(v.Record) != a.value {
				t.Errorf("version %d: actor %s (%s), action %s, description %q; want %s (editor), update, %q",
					v.Version, v.Meta.Actor, v.Meta.Role, v.Meta.Action, descOf(v.Record), a.editor, a.value)
			}
		}
		for _, a := range refused {
			if v, ok := inHistory[a.value]; ok {
				t.Errorf("refused write %+v is in the history as version %d", a, v)
			}
		}

		// The record as GET answers it is version N, whole.
		r := do(t, "GET", placeURL, "")
		if got := etagOf(t, r.header); got != n {
			t.Errorf("GET ETag %d, want %d", got, n)
		}
		if !sameJSON(t, r.body, hist[n-1].Record) {
			t.Errorf("GET %s:\n%s\nwant version %d:\n%s", placeURL, r.body, n, hist[n-1].Record)
		}
		if got := decode[struct {
			Properties struct{ Description string }
		}](t, r).Properties.Description; got != accepted[len(accepted)-1].value {
			t.Errorf("final description %q, want the last accepted write's %q", got, accepted[len(accepted)-1].value)
		}

		// The audit log, read as the admin over HTTP in pages: exactly one new entry per attempt for the place.
		var entries []edit.AuditEntry
		for off := 0; ; {
			r := do(t, "GET", ts.URL+"/api/audit?target="+id+"&limit=40&offset="+itoa(off), "", "Authorization", admin)
			if r.status != http.StatusOK {
				t.Fatalf("GET /api/audit: %d %s", r.status, r.body)
			}
			p := decode[struct {
				Items         []edit.AuditEntry `json:"items"`
				NumberMatched int               `json:"numberMatched"`
			}](t, r)
			entries = append(entries, p.Items...)
			off += len(p.Items)
			if len(p.Items) == 0 || off >= p.NumberMatched {
				break
			}
		}
		if len(entries) < before.NumberMatched {
			t.Fatalf("%d audit entries for %s, fewer than the %d before the editors", len(entries), id, before.NumberMatched)
		}
		entries = entries[before.NumberMatched:]
		if len(entries) != editors*attemptsEach {
			t.Fatalf("%d new audit entries for %s, want exactly %d (one per attempt)", len(entries), id, editors*attemptsEach)
		}
		type key struct {
			actor, outcome string
			status         int
			version        int64
		}
		want := map[key]int{}
		for _, a := range accepted {
			want[key{a.editor, edit.OutcomeOK, 200, a.etag}]++
		}
		for _, a := range refused {
			want[key{a.editor, edit.OutcomeRefused, 412, 0}]++
		}
		for _, e := range entries {
			k := key{e.Actor, e.Outcome, e.Status, e.Version}
			if e.Kind != edit.KindPlace || e.TargetID != id || e.Role != edit.RoleEditor || want[k] == 0 {
				t.Errorf("unexpected audit entry %+v", e)
				continue
			}
			want[k]--
		}
		for k, c := range want {
			if c != 0 {
				t.Errorf("audit: %d entries missing for %+v", c, k)
			}
		}
		// The ok entries chain: each one's before hash is the previous version's after hash.
		after := map[int64]string{}
		for _, e := range entries {
			if e.Outcome == edit.OutcomeOK {
				after[e.Version] = e.AfterHash
			}
		}
		for v := startVersion + 2; v <= n; v++ {
			for _, e := range entries {
				if e.Outcome == edit.OutcomeOK && e.Version == v && (e.BeforeHash != after[v-1] || e.AfterHash == "") {
					t.Errorf("audit of version %d: before hash %q, want version %d's after hash %q", v, e.BeforeHash, v-1, after[v-1])
				}
			}
		}
	})
}

func etagOf(t *testing.T, h http.Header) int64 {
	t.Helper()
	v, err := strconv.ParseInt(strings.Trim(h.Get("ETag"), `"`), 10, 64)
	if err != nil {
		t.Fatalf("ETag %q: %v", h.Get("ETag"), err)
	}
	return v
}

// sameJSON reports whether two JSON documents are equal as values (member order and spacing aside).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
