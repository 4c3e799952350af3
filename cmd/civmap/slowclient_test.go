package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Slow clients (Slowloris: headers a byte at a time; a body that never ends) must not hold the server: with
// --read-header-timeout 1s and --read-timeout 2s, 40 such connections are each cut off by the server within a bound
// well under a minute, and while all of them are open an ordinary request is answered. On the binary, both stores.
func TestSlowClientsCutOff(t *testing.T) {
	bin := civmapBinary(t)
	stores(t, func(t *testing.T, sf *storeFlags) {
		// The slow bodies carry an editor's token, so that the handler reads them rather than answering 401 at once.
		code, out, errOut := runBin(t, bin, nil, append([]string{"token", "create", "--name", "slow", "--role", "editor"}, storeArgs(sf)...)...)
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		token := lines[len(lines)-1]
		s := serveBin(t, bin, nil, append(storeArgs(sf), "--read-header-timeout", "1s", "--read-timeout", "2s")...)
		addr := strings.TrimPrefix(s.url, "http://")
		const n = 40
		type result struct {
			kind string
			open time.Duration
			err  error
		}
		results := make(chan result, 2*n)
		trickle := func(kind, head string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				results <- result{kind, 0, err}
				return
			}
			defer c.Close()
			start := time.Now()
			if kind == "body" {
				// Whole headers, then a body promised at 1 MB that arrives a byte every 200 ms.
				if _, err := io.WriteString(c, head); err != nil {
					results <- result{kind, 0, err}
					return
				}
				head = strings.Repeat("x", 1000)
			}
			for i := 0; i < len(head); i++ {
				if _, err := c.Write([]byte{head[i]}); err != nil {
					break // the server closed the connection
				}
				if time.Since(start) > 30*time.Second {
					results <- result{kind, time.Since(start), errors.New("still open after 30 s")}
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			// Whatever the server answered (a 408 or nothing), it must close the connection.
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, err = io.Copy(io.Discard, c)
			results <- result{kind, time.Since(start), err}
		}
		slowHead := "GET /api/divisions HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 400) + "\r\n\r\n"
		slowBody := "POST /api/places HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + token +
			"\r\nContent-Length: 1000000\r\n\r\n"
		for range n / 2 {
			go trickle("header", slowHead)
			go trickle("body", slowBody)
		}
		time.Sleep(500 * time.Millisecond)
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get(s.url + "/api/divisions?limit=1")
		if err != nil {
			t.Fatalf("an ordinary request while %d slow clients are open: %v", n, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("ordinary request = %d, want 200", resp.StatusCode)
		}
		var longest [2]time.Duration
		for range n {
			r := <-results
			if i := map[string]int{"header": 0, "body": 1}[r.kind]; r.open > longest[i] {
				longest[i] = r.open
			}
			// EOF or a reset both mean the server closed the connection; only our own read deadline is a failure.
			if errors.Is(r.err, os.ErrDeadlineExceeded) || r.open == 0 {
				t.Errorf("slow %s client: %v after %v", r.kind, r.err, r.open)
			}
			if r.open > 15*time.Second {
				t.Errorf("slow %s client held its connection %v (timeouts 1 s / 2 s)", r.kind, r.open)
			}
		}
		// The body clients must have been cut by the read timeout, not by an early answer: they sent for ≥ 2 s.
		if longest[1] < 2*time.Second {
			t.Errorf("longest slow-body connection %v: shorter than --read-timeout 2s, so the body was never read", longest[1])
		}
		t.Logf("longest connection: slow headers %v, slow body %v", longest[0], longest[1])
	})
}
