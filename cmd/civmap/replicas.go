package main

import (
	"net/http"
	"strings"
	"time"

	"civmap/data"
	"civmap/data/postgis"
)

// urlList is a repeatable flag of URLs; one value may also hold several, comma-separated (the CIVMAP_* variable).
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			*l = append(*l, u)
		}
	}
	return nil
}

// lsnHeader and lsnCookie carry the primary's WAL position after a client's write (postgis.Store.SeenLSN), so that its
// next reads, on any civmap server of a fleet, see at least that write (postgis.WithMinLSN): a replica that has not
// replayed it does not serve them.
const (
	lsnHeader = "Civmap-LSN"
	lsnCookie = "civmap_lsn"
	// lsnCookieAge outlives any replica lag that keeps a replica in (--replica-max-lag is seconds).
	lsnCookieAge = 10 * time.Minute
)

// readRouting sends the reads of write requests (every method but GET, HEAD and OPTIONS) to the primary, stamps their
// successful responses with the write's LSN (header and cookie), and gives GET/HEAD requests carrying an LSN (header,
// else cookie) a context that needs it. Without replicas it is h.
func readRouting(st data.Store, h http.Handler) http.Handler {
	pg, ok := st.(*postgis.Store)
	if !ok {
		return h
	}
	if rs, _ := pg.Replicas(); len(rs) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			v := r.Header.Get(lsnHeader)
			if v == "" {
				if c, err := r.Cookie(lsnCookie); err == nil {
					v = c.Value
				}
			}
			if l, err := postgis.ParseLSN(v); err == nil && v != "" {
				r = r.WithContext(postgis.WithMinLSN(r.Context(), l))
			}
			h.ServeHTTP(w, r)
		default:
			h.ServeHTTP(&lsnWriter{ResponseWriter: w, st: pg}, r.WithContext(postgis.WithPrimary(r.Context())))
		}
	})
}

// lsnWriter sets the LSN header and cookie when a write's response starts with a success status.
type lsnWriter struct {
	http.ResponseWriter
	st      *postgis.Store
	started bool
}

func (w *lsnWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		if code < 400 {
			if l := w.st.SeenLSN(); l != 0 {
				w.Header().Set(lsnHeader, l.String())
				http.SetCookie(w.ResponseWriter, &http.Cookie{Name: lsnCookie, Value: l.String(), Path: "/",
					MaxAge: int(lsnCookieAge.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *lsnWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer (flush, deadlines).
func (w *lsnWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
