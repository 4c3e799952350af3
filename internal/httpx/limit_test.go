package httpx

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLimitConcurrency holds two requests in the handler with MaxConcurrent 2: a third waits QueueWait and is shed with
// 503 and Retry-After; once a slot frees, a request is served again.
func TestLimitConcurrency(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	h := Limit(Limits{MaxConcurrent: 2, QueueWait: 50 * time.Millisecond}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hold", nil))
		}()
	}
	<-entered
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("third request while two are held = %d, Retry-After %q; want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || !strings.Contains(p.Detail, "--max-concurrent") {
		t.Errorf("503 problem = %s, %v", rec.Body, err)
	}
	close(release)
	wg.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("after the slots freed = %d, want 204", rec.Code)
	}
}

// TestLimitQueueWaitServes: a request that finds no slot but gets one within QueueWait is served, not shed.
func TestLimitQueueWaitServes(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	h := Limit(Limits{MaxConcurrent: 1, QueueWait: 5 * time.Second}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			close(entered)
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hold", nil))
	<-entered
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		done <- rec.Code
	}()
	close(release)
	if code := <-done; code != http.StatusNoContent {
		t.Errorf("queued request = %d, want 204", code)
	}
}

func TestLimitQueryAndDeadline(t *testing.T) {
	var deadline time.Time
	h := Limit(Limits{MaxQuery: 16, RequestTimeout: time.Minute}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, _ = r.Context().Deadline()
		WriteError(w, r, context.DeadlineExceeded)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/places?q="+strings.Repeat("x", 15), nil))
	if rec.Code != http.StatusRequestURITooLong {
		t.Errorf("17-byte query with MaxQuery 16 = %d, want 414", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/places?q=x", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a handler past its deadline = %d, want 503", rec.Code)
	}
	if left := time.Until(deadline); left < 50*time.Second || left > time.Minute {
		t.Errorf("request deadline %v from now, want about RequestTimeout (1m)", left)
	}
}

// TestLimitBounded: a request that Bounded reports gets no request deadline; the others still do.
func TestLimitBounded(t *testing.T) {
	var has bool
	h := Limit(Limits{RequestTimeout: time.Minute, Bounded: func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/tiles/")
	}}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, has = r.Context().Deadline()
	}))
	for path, want := range map[string]bool{"/tiles/places/1/1/1.mvt": false, "/api/places": true} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		if has != want {
			t.Errorf("%s: deadline %v, want %v", path, has, want)
		}
	}
}
