package httpx

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Limits guard the server against overload and against requests that ask for too much (OWASP API Security Top 10,
// API4:2023 Unrestricted Resource Consumption). Zero fields turn their guard off.
type Limits struct {
	// MaxConcurrent is the number of requests served at once. A request that finds every slot taken waits up to
	// QueueWait for one and is then answered 503 with Retry-After: overload sheds load instead of queueing without end.
	MaxConcurrent int
	QueueWait     time.Duration
	// RequestTimeout is each request's deadline: its context is cancelled then, which cancels the database query it
	// waits on (pgx sends a cancel request; the embedded store's scans check the context). A handler that runs out of
	// time answers 503 (context.DeadlineExceeded, WriteError).
	RequestTimeout time.Duration
	// MaxQuery is the longest raw query string in bytes (longer: 414 URI Too Long).
	MaxQuery int
	// Bounded, when set, reports the requests whose handlers bound their own work (tile renders run detached under
	// tiles.Options.Timeout): they get no RequestTimeout deadline, which would cost a timer per request and bound
	// nothing more.
	Bounded func(*http.Request) bool
}

// Limit wraps next in l's guards. The order is cheap first: the query length, then a slot, then the deadline.
func Limit(l Limits, next http.Handler) http.Handler {
	var slots chan struct{}
	if l.MaxConcurrent > 0 {
		slots = make(chan struct{}, l.MaxConcurrent)
	}
	retryAfter := strconv.Itoa(max(1, int((l.QueueWait+time.Second-1)/time.Second)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.MaxQuery > 0 && len(r.URL.RawQuery) > l.MaxQuery {
			WriteProblem(w, http.StatusRequestURITooLong, "the query string is "+strconv.Itoa(len(r.URL.RawQuery))+
				" bytes long; at most "+strconv.Itoa(l.MaxQuery)+" are allowed (--max-query)")
			return
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
			default:
				if !wait(r.Context(), slots, l.QueueWait) {
					w.Header().Set("Retry-After", retryAfter)
					WriteProblem(w, http.StatusServiceUnavailable, "the server is serving "+strconv.Itoa(l.MaxConcurrent)+
						" requests at once (--max-concurrent); try again shortly")
					return
				}
			}
			defer func() { <-slots }()
		}
		if l.RequestTimeout > 0 && (l.Bounded == nil || !l.Bounded(r)) {
			ctx, cancel := context.WithTimeout(r.Context(), l.RequestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// wait takes a slot within d, or gives up (false) when d passes or the client goes away.
func wait(ctx context.Context, slots chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}
