package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

func TestURLList(t *testing.T) {
	var l urlList
	for _, v := range []string{"postgres://a/db", " postgres://b/db , postgres://c/db,", ""} {
		if err := l.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"postgres://a/db", "postgres://b/db", "postgres://c/db"}
	if len(l) != len(want) || l[0] != want[0] || l[1] != want[1] || l[2] != want[2] {
		t.Errorf("urlList = %q, want %q", l, want)
	}
}

// TestReadRoutingLSN: with the replica's replay paused, a POST through readRouting answers with Civmap-LSN and the
// civmap_lsn cookie; another server's GET with that cookie (or header) reads the write (from the primary), without it
// the replica's older state (until the replica is out for lag).
func TestReadRoutingLSN(t *testing.T) {
	ctx := context.Background()
	primaryURL := pgtest.NewDatabase(t)
	replicaURL := pgtest.ReplicaURL(t, primaryURL)
	open := func() *postgis.Store {
		st, err := postgis.Open(ctx, primaryURL, postgis.Options{ReplicaURLs: []string{replicaURL},
			ReplicaMaxLag: time.Minute, ReplicaCheck: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	county := gazetteer.Division{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty, Kind: "county"}
	if _, err := a.Import(ctx, data.Batch{Divisions: []gazetteer.Division{county}}, edit.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*postgis.Store{a, b} {
		deadline := time.Now().Add(15 * time.Second)
		for rs, _ := st.Replicas(); !rs[0].Healthy; rs, _ = st.Replicas() {
			if time.Now().After(deadline) {
				t.Fatalf("replica not healthy: %+v", rs[0])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	conn, err := pgx.Connect(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	// Resumed at cleanup on the same connection (a deferred Close would run first): later tests need a replaying replica.
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), `SELECT pg_wal_replay_resume()`); err != nil {
			t.Errorf("pg_wal_replay_resume: %v", err)
		}
		conn.Close(context.Background())
	})
	if _, err := conn.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}

	handler := func(st *postgis.Store) http.Handler {
		return readRouting(st, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				p := gazetteer.Place{ID: "lsn-1", Name: "读己之写", Category: "村庄", Status: gazetteer.StatusDraft,
					DivisionCodes: []string{"330225"}, Geometry: orb.Point{121.87, 29.47}}
				if _, err := st.CreatePlace(r.Context(), p, edit.Meta{Actor: "test"}); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				w.WriteHeader(http.StatusCreated)
				return
			}
			_, err := st.Place(r.Context(), "lsn-1")
			switch {
			case errors.Is(err, apierr.ErrNotFound):
				w.WriteHeader(http.StatusNotFound)
			case err != nil:
				http.Error(w, err.Error(), 500)
			}
		}))
	}
	ha, hb := handler(a), handler(b)
	post := httptest.NewRecorder()
	ha.ServeHTTP(post, httptest.NewRequest(http.MethodPost, "/api/places", nil))
	lsn := post.Header().Get(lsnHeader)
	cookies := post.Result().Cookies()
	if post.Code != http.StatusCreated || lsn == "" || len(cookies) != 1 || cookies[0].Name != lsnCookie ||
		cookies[0].Value != lsn {
		t.Fatalf("POST: %d, %s=%q, cookies %v", post.Code, lsnHeader, lsn, cookies)
	}
	if _, err := postgis.ParseLSN(lsn); err != nil {
		t.Fatal(err)
	}
	get := func(h http.Handler, prep func(*http.Request)) int {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/api/places/lsn-1", nil)
		prep(r)
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := get(hb, func(*http.Request) {}); c != http.StatusNotFound {
		t.Errorf("other server, no LSN: %d, want 404 (the paused replica's state)", c)
	}
	if c := get(hb, func(r *http.Request) { r.AddCookie(cookies[0]) }); c != http.StatusOK {
		t.Errorf("other server, LSN cookie: %d, want 200", c)
	}
	if c := get(hb, func(r *http.Request) { r.Header.Set(lsnHeader, lsn) }); c != http.StatusOK {
		t.Errorf("other server, LSN header: %d, want 200", c)
	}
	if c := get(ha, func(*http.Request) {}); c != http.StatusOK {
		t.Errorf("the writing server, no LSN: %d, want 200 (its own writes)", c)
	}
}
