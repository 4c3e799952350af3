package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"civmap/data"
	"civmap/data/storetest"
	"civmap/internal/apierr"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func() (data.Store, error) { return Open(dir, Options{}) }
	})
}

func TestBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	start := time.Now()
	s2, err := Open(dir, Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		s2.Close()
		t.Fatal("second Open succeeded")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("second Open took %v", el)
	}
	if !errors.Is(err, apierr.ErrStoreBusy) {
		t.Errorf("second Open: %v, want ErrStoreBusy", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("busy error %q does not name pid %d", err, os.Getpid())
	}
	// The default timeout is 1 s.
	start = time.Now()
	if _, err := Open(dir, Options{}); !errors.Is(err, apierr.ErrStoreBusy) {
		t.Errorf("second Open with default options: %v", err)
	} else if el := time.Since(start); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("default timeout took %v, want about 1 s", el)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockInfoFile)); !os.IsNotExist(err) {
		t.Errorf("lock info left after Close: %v", err)
	}
	s3, err := Open(dir, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s3.Close()
}

// A lock info file left by a process that died does not block the next Open, which replaces it.
func TestStaleLockInfo(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LockInfoFile), []byte("pid 999999\ncmd dead\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open with a stale lock info: %v", err)
	}
	defer s.Close()
	info, err := os.ReadFile(filepath.Join(dir, LockInfoFile))
	if err != nil || !strings.Contains(string(info), "pid "+strconv.Itoa(os.Getpid())+"\n") {
		t.Errorf("lock info %q, %v; want this process", info, err)
	}
	_, err = Open(dir, Options{Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), os.Args[0]) {
		t.Errorf("busy error %v does not name the command %q", err, os.Args[0])
	}
}
