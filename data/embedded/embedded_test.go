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
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("busy error %q does not name pid %d", err, os.Getpid())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
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
