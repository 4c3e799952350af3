package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// civmapBinary builds the civmap binary once per test into a temporary folder.
func civmapBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "civmap")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var tokenLine = regexp.MustCompile(`^civmap_[0-9a-f]{16}_[0-9a-f]{64}$`)

func runBin(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// served is a running `civmap serve` process.
type served struct {
	url string
	cmd *exec.Cmd
	mu  sync.Mutex
	log strings.Builder
}

func (s *served) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// serveBin starts `civmap serve` on a free port and waits until it is ready; it is stopped (SIGINT) when the test ends
// or by stop.
func serveBin(t *testing.T, bin string, env []string, args ...string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)}
	s.cmd.Env = append(os.Environ(), env...)
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// serve logs "listening" once the store is open and the sample loaded: then it is ready.
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := regexp.MustCompile(`msg=listening url=(\S+)`).FindStringSubmatch(line); m != nil {
				urls <- strings.TrimSuffix(m[1], "/")
			}
		}
	}()
	t.Cleanup(s.stop)
	select {
	case s.url = <-urls:
	case <-time.After(120 * time.Second):
		t.Fatalf("serve did not get ready: %s", s.logText())
	}
	return s
}

func (s *served) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// token create on a fresh store (before any serve), then serve (which still loads the sample) with --anonymous none
// and a token that works, list, revoke, and the revoked token refused by the next serve: the binary, on both stores.
func TestTokenCLI(t *testing.T) {
	bin := civmapBinary(t)
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		code, out, errOut := runBin(t, bin, nil, append([]string{"token", "create", "--name", "张三", "--role", "editor"}, sa...)...)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		tok := lines[len(lines)-1]
		if code != 0 || !tokenLine.MatchString(tok) || strings.Count(out, tok) != 1 {
			t.Fatalf("token create: %d %q %q; want the token alone on the last line, once", code, out, errOut)
		}
		code, _, errOut = runBin(t, bin, nil, append([]string{"token", "create", "--name", "李四", "--role", "boss"}, sa...)...)
		if code == 0 || !strings.Contains(errOut, "role") || !strings.Contains(errOut, "viewer, editor, reviewer, inspector, planner, admin") {
			t.Errorf("unknown role: %d %q", code, errOut)
		}
		code, _, errOut = runBin(t, bin, nil, append([]string{"token", "create", "--name", "张三", "--role", "admin"}, sa...)...)
		if code == 0 || !strings.Contains(errOut, `"张三" already exists`) {
			t.Errorf("duplicate name: %d %q", code, errOut)
		}
		// The role from the environment, like every flag.
		code, out, _ = runBin(t, bin, []string{"CIVMAP_TOKEN_ROLE=admin"}, append([]string{"token", "create", "--name", "王五"}, sa...)...)
		if code != 0 || !strings.Contains(out, "role admin") {
			t.Errorf("token create with CIVMAP_TOKEN_ROLE: %d %q", code, out)
		}

		// Serve: the sample is loaded although the store had tokens, no first admin token is made, and with
		// CIVMAP_ANONYMOUS=none only signed-in requests are answered.
		srv := serveBin(t, bin, []string{"CIVMAP_ANONYMOUS=none", "CIVMAP_MAX_BODY=1000"}, sa...)
		if strings.Contains(srv.logText(), "no API token") {
			t.Errorf("serve made a first admin token in a store that had tokens: %s", srv.logText())
		}
		if r := do(t, "GET", srv.url+"/api/places", ""); r.status != 401 {
			t.Errorf("anonymous read under CIVMAP_ANONYMOUS=none: %d", r.status)
		}
		if r := do(t, "GET", srv.url+"/healthz", ""); r.status != 200 || r.header.Get("X-Request-Id") == "" {
			t.Errorf("/healthz: %d, X-Request-Id %q", r.status, r.header.Get("X-Request-Id"))
		}
		r := do(t, "GET", srv.url+"/api/divisions?level=township", "", "Authorization", "Bearer "+tok)
		if fc := decode[featureCollection](t, r); r.status != 200 || fc.NumberMatched != 18 {
			t.Errorf("townships with a token: %d, %d matched; want the sample's 18", r.status, fc.NumberMatched)
		}
		if r := do(t, "GET", srv.url+"/api/auth/me", "", "Authorization", "Bearer "+tok); r.status != 200 ||
			string(bytes.TrimSpace(r.body)) != `{"name":"张三","role":"editor"}` {
			t.Errorf("me: %d %s", r.status, r.body)
		}
		if r := do(t, "POST", srv.url+"/api/places", strings.Repeat(" ", 1001), "Authorization", "Bearer "+tok); r.status != 413 {
			t.Errorf("a body over CIVMAP_MAX_BODY=1000: %d %s", r.status, r.body)
		}
		if sf.databaseURL == "" {
			code, _, errOut := runBin(t, bin, nil, "token", "list", "--lock-timeout", "100ms", "--data-dir", sf.dataDir)
			if code == 0 || !strings.Contains(errOut, "stop civmap serve first") {
				t.Errorf("token list while serve holds the embedded store: %d %q", code, errOut)
			}
		}
		srv.stop()

		code, out, errOut = runBin(t, bin, nil, append([]string{"token", "revoke", "张三"}, sa...)...)
		if code != 0 || !strings.Contains(out, `revoked token "张三"`) {
			t.Errorf("revoke: %d %q %q", code, out, errOut)
		}
		code, _, errOut = runBin(t, bin, nil, append([]string{"token", "revoke"}, append(sa, "nobody")...)...)
		if code != 1 || !strings.Contains(errOut, `no token named "nobody"`) {
			t.Errorf("revoke nobody: %d %q", code, errOut)
		}
		code, out, _ = runBin(t, bin, nil, append([]string{"token", "list"}, sa...)...)
		if code != 0 || !regexp.MustCompile(`(?m)^张三\s+editor\s+\d{4}-\d\d-\d\dT\S+\s+\d{4}-\d\d-\d\dT\S+$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^王五\s+admin\s+\S+\s+-$`).MatchString(out) || strings.Contains(out, tok[24:]) ||
			strings.Contains(out, "civmap_") {
			t.Errorf("token list: %d\n%s", code, out)
		}

		srv = serveBin(t, bin, nil, sa...)
		if r := do(t, "GET", srv.url+"/api/auth/me", "", "Authorization", "Bearer "+tok); r.status != 401 {
			t.Errorf("revoked token: %d %s", r.status, r.body)
		}
	})
}

// A newcomer's first serve on a store without tokens makes an admin token: in <data-dir>/admin-token (mode 0600) on
// the embedded store, once in the log on PostGIS. It works, and a second serve makes no other.
func TestFirstAdminToken(t *testing.T) {
	bin := civmapBinary(t)
	stores(t, func(t *testing.T, sf *storeFlags) {
		sa := storeArgs(sf)
		srv := serveBin(t, bin, nil, sa...)
		var tok string
		if sf.databaseURL == "" {
			path := filepath.Join(sf.dataDir, "admin-token")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no admin-token file: %v\n%s", err, srv.logText())
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("admin-token mode %v, want 0600", fi.Mode().Perm())
			}
			if !strings.Contains(srv.logText(), path) {
				t.Errorf("the log does not give the file's path %s: %s", path, srv.logText())
			}
			tok = strings.TrimSpace(string(b))
		} else {
			m := regexp.MustCompile(`token=(civmap_\S+)`).FindStringSubmatch(srv.logText())
			if m == nil {
				t.Fatalf("the log does not give the first token: %s", srv.logText())
			}
			tok = m[1]
		}
		if !tokenLine.MatchString(tok) {
			t.Fatalf("first admin token %q", tok)
		}
		if r := do(t, "GET", srv.url+"/api/audit", "", "Authorization", "Bearer "+tok); r.status != 200 {
			t.Errorf("GET /api/audit with the first admin token: %d %s", r.status, r.body)
		}
		srv.stop()
		srv = serveBin(t, bin, nil, sa...)
		if strings.Contains(srv.logText(), "no API token") {
			t.Errorf("a second serve made another admin token: %s", srv.logText())
		}
		srv.stop()
		_, out, _ := runBin(t, bin, nil, append([]string{"token", "list"}, sa...)...)
		if strings.Count(out, "\n") != 2 || !strings.Contains(out, "admin") {
			t.Errorf("token list after two serves:\n%s", out)
		}
	})
}
