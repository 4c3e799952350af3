package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap/data/postgis/pgtest"
	"civmap/internal/edit"
)

// A backup taken while edits run restores to a store that is the original as of one moment: every record's history in
// the copy is a prefix of the original's, version for version, and the copy checks clean; a backup taken once the edits
// stop restores to an identical store (every version and audit entry). Restore refuses a store that holds data
// without --force. On the binary, both stores (embedded: the running server's hot copy; PostGIS: pg_dump).
func TestBackupRestoreWhileEditing(t *testing.T) {
	bin := civmapBinary(t)
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		token := func(role string) string {
			code, out, errOut := runBin(t, bin, nil, append([]string{"token", "create", "--name", role, "--role", role}, sa...)...)
			if code != 0 {
				t.Fatalf("token create: %s", errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			return lines[len(lines)-1]
		}
		admin, editor := token("admin"), token("editor")
		s := serveBin(t, bin, nil, sa...)
		backupArgs := func(out string) []string {
			if sf.databaseURL != "" {
				return append([]string{"backup", "--out", out}, sa...)
			}
			return []string{"backup", "--out", out, "--server", s.url}
		}
		target := func() *storeFlags {
			if sf.databaseURL != "" {
				return &storeFlags{databaseURL: pgtest.NewDatabase(t)}
			}
			return &storeFlags{dataDir: t.TempDir()}
		}

		// Edits: PATCH three facilities in a loop until stopped.
		client := &http.Client{Timeout: 10 * time.Second}
		var ids []string
		resp, err := client.Get(s.url + "/api/facilities?limit=3")
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct{ ID string } `json:"features"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&fc)
		resp.Body.Close()
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		if len(ids) != 3 {
			t.Fatalf("facilities: %v", ids)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		writes := make([]int, 3)
		for w, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				etag := currentETag(client, s.url+"/api/facilities/"+url.PathEscape(id))
				for n := 1; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					req, _ := http.NewRequest("PATCH", s.url+"/api/facilities/"+url.PathEscape(id),
						strings.NewReader(fmt.Sprintf(`{"properties":{"name":"备份测试-%d"}}`, n)))
					req.Header.Set("Content-Type", "application/merge-patch+json")
					req.Header.Set("If-Match", etag)
					req.Header.Set("Authorization", "Bearer "+editor)
					resp, err := client.Do(req)
					if err != nil {
						t.Errorf("PATCH: %v", err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("PATCH %s: %d", id, resp.StatusCode)
						return
					}
					etag = resp.Header.Get("ETag")
					writes[w]++
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		hot := filepath.Join(t.TempDir(), "hot.backup")
		env := []string{"CIVMAP_TOKEN=" + admin}
		if code, out, errOut := runBin(t, bin, env, backupArgs(hot)...); code != 0 {
			t.Fatalf("backup while editing: %d %s %s", code, out, errOut)
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		cold := filepath.Join(t.TempDir(), "cold.backup")
		if code, out, errOut := runBin(t, bin, env, backupArgs(cold)...); code != 0 {
			t.Fatalf("backup after the edits: %d %s %s", code, out, errOut)
		}
		s.stop()

		original := allVersions(t, sf)
		restore := func(file string) map[string][]edit.Version {
			tf := target()
			if code, out, errOut := runBin(t, bin, nil, append([]string{"restore", file}, storeArgs(tf)...)...); code != 0 {
				t.Fatalf("restore %s: %d %s %s", filepath.Base(file), code, out, errOut)
			}
			checkClean(t, tf)
			// A second restore onto the now full store is refused without --force and done with it.
			code, _, errOut := runBin(t, bin, nil, append([]string{"restore", file}, storeArgs(tf)...)...)
			if code != 1 || !strings.Contains(errOut, "--force") {
				t.Errorf("restore onto a full store: %d %s; want refused naming --force", code, errOut)
			}
			if code, _, errOut := runBin(t, bin, nil, append([]string{"restore", "--force", file}, storeArgs(tf)...)...); code != 0 {
				t.Errorf("restore --force: %d %s", code, errOut)
			}
			return allVersions(t, tf)
		}
		copyHot := restore(hot)
		behind := 0
		for k, vs := range copyHot {
			orig := original[k]
			if len(vs) > len(orig) {
				t.Fatalf("%s: the hot copy has %d versions, the original %d", k, len(vs), len(orig))
			}
			for i := range vs {
				if a, b := versionJSON(vs[i]), versionJSON(orig[i]); a != b {
					t.Fatalf("%s version %d differs:\ncopy     %s\noriginal %s", k, i+1, a, b)
				}
			}
			behind += len(orig) - len(vs)
		}
		if len(copyHot) != len(original) {
			t.Errorf("hot copy holds %d records' histories, the original %d (no record was created meanwhile)",
				len(copyHot), len(original))
		}
		if behind == 0 {
			t.Errorf("the hot copy is not behind the original at all: were the edits running? (%v writes)", writes)
		}
		copyCold := restore(cold)
		for k, vs := range original {
			if len(copyCold[k]) != len(vs) {
				t.Fatalf("%s: the cold copy has %d versions, the original %d", k, len(copyCold[k]), len(vs))
			}
			for i := range vs {
				if versionJSON(vs[i]) != versionJSON(copyCold[k][i]) {
					t.Fatalf("%s version %d differs in the cold copy", k, i+1)
				}
			}
		}
		t.Logf("%v writes while backing up; the hot copy is %d versions behind", writes, behind)
	})
}

func versionJSON(v edit.Version) string {
	v.Meta.Time = v.Meta.Time.UTC()
	b, _ := json.Marshal(v)
	return string(b)
}

// allVersions reads every version of every record of the store, by record.
func allVersions(t *testing.T, sf *storeFlags) map[string][]edit.Version {
	t.Helper()
	st, _, err := sf.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]edit.Version{}
	err = st.EachVersion(context.Background(), func(v edit.Version) error {
		k := string(v.Kind) + "/" + v.ID
		out[k] = append(out[k], v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
