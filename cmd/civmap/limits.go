package main

import (
	"flag"
	"fmt"
	"time"

	"civmap/internal/httpx"
)

// serveLimits are serve's guards against slow clients and overload: the http.Server timeouts (a client that sends
// its headers or body a byte at a time, or never reads the answer, is cut off rather than holding a connection) and
// httpx.Limits. Every one has a flag and a CIVMAP_* variable; README "Limits" lists them.
type serveLimits struct {
	readHeader, read, write, idle time.Duration
	maxHeader                     int
	http                          httpx.Limits
}

func (l *serveLimits) register(fs *flag.FlagSet) {
	durationVar(fs, &l.readHeader, "read-header-timeout", "CIVMAP_READ_HEADER_TIMEOUT", 10*time.Second, "longest time a client may take to send a request's headers")
	durationVar(fs, &l.read, "read-timeout", "CIVMAP_READ_TIMEOUT", time.Minute, "longest time a client may take to send a whole request, body included")
	durationVar(fs, &l.write, "write-timeout", "CIVMAP_WRITE_TIMEOUT", 2*time.Minute, "longest time from the end of a request's headers to the end of its answer")
	durationVar(fs, &l.idle, "idle-timeout", "CIVMAP_IDLE_TIMEOUT", 2*time.Minute, "how long an idle keep-alive connection is kept open")
	intVar(fs, &l.maxHeader, "max-header-bytes", "CIVMAP_MAX_HEADER_BYTES", 64<<10, "largest request header block in bytes (larger: 431)")
	intVar(fs, &l.http.MaxQuery, "max-query", "CIVMAP_MAX_QUERY", 8<<10, "longest query string in bytes (longer: 414)")
	intVar(fs, &l.http.MaxConcurrent, "max-concurrent", "CIVMAP_MAX_CONCURRENT", 512, "requests served at once; beyond it a request waits --queue-wait for a slot, then gets 503 with Retry-After")
	durationVar(fs, &l.http.QueueWait, "queue-wait", "CIVMAP_QUEUE_WAIT", 2*time.Second, "how long a request waits for a free slot when --max-concurrent are being served")
	durationVar(fs, &l.http.RequestTimeout, "request-timeout", "CIVMAP_REQUEST_TIMEOUT", time.Minute, "each request's deadline; its database query is cancelled then and it is answered 503")
}

func (l *serveLimits) check() error {
	for name, d := range map[string]time.Duration{"--read-header-timeout": l.readHeader, "--read-timeout": l.read,
		"--write-timeout": l.write, "--idle-timeout": l.idle, "--request-timeout": l.http.RequestTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive, got %v", name, d)
		}
	}
	switch {
	case l.maxHeader < 4<<10:
		return fmt.Errorf("--max-header-bytes must be at least 4096, got %d", l.maxHeader)
	case l.http.MaxQuery < 256:
		return fmt.Errorf("--max-query must be at least 256, got %d", l.http.MaxQuery)
	case l.http.MaxConcurrent < 1:
		return fmt.Errorf("--max-concurrent must be at least 1, got %d", l.http.MaxConcurrent)
	case l.http.QueueWait < 0:
		return fmt.Errorf("--queue-wait must not be negative, got %v", l.http.QueueWait)
	}
	return nil
}
