// Package pdf prints HTML pages to PDF with headless Chromium (`chromium --headless --print-to-pdf`): the inspection
// report and the county gazetteer (地名志) are printable HTML first, with their page size in an @page rule, and PDF by
// this one path. Prints run at most MaxConcurrent at a time in a process: each is a browser process of some hundred
// MiB, and a burst of requests must queue (until its context ends), not start a browser each.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// MaxConcurrent is the number of Chromium prints that run at once; Timeout bounds each.
const (
	MaxConcurrent = 2
	Timeout       = 2 * time.Minute
)

var slots = make(chan struct{}, MaxConcurrent)

// ErrNoChromium is returned when no Chromium is installed (Debian package chromium; scripts/ensure-chromium.sh).
var ErrNoChromium = errors.New("PDF output needs Chromium (chromium or chromium-browser on PATH, or $CIVMAP_CHROMIUM)")

// Chromium is the browser used: $CIVMAP_CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH,
// else "".
func Chromium() string {
	if p := os.Getenv("CIVMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// FromHTML prints page (a whole HTML document; relative URLs are not resolved) to PDF, without Chromium's header and
// footer. It waits for a free slot while ctx lasts, and gives up after Timeout. Errors: ErrNoChromium, ctx's error,
// or Chromium's failure with the last lines of its output.
func FromHTML(ctx context.Context, page []byte) ([]byte, error) {
	bin := Chromium()
	if bin == "" {
		return nil, ErrNoChromium
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	dir, err := os.MkdirTemp("", "civmap-pdf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "page.html"), filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(in, page, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer",
		"--print-to-pdf="+out, "file://"+in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("chromium --print-to-pdf: %w: %s", err, lastLines(stderr.String(), 5))
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		return nil, fmt.Errorf("chromium wrote no PDF (%v): %s", err, lastLines(stderr.String(), 5))
	}
	return b, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}
