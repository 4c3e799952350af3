package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"civmap/tiles/basemap"
)

// TestServeRefusesOffsetBasemap: `civmap serve --basemap-url` with a 高德 or 百度 template stops before it listens,
// saying the source is GCJ-02/BD-09 and how far off; a missing archive stops it too.
func TestServeRefusesOffsetBasemap(t *testing.T) {
	for _, c := range []struct{ url, says string }{
		{"https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8", "GCJ-02"},
		{"https://maponline1.bdimg.com/tile/?x={x}&y={y}&z={z}", "BD-09"},
	} {
		err := cmdServe(context.Background(), []string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--basemap-url", c.url}, io.Discard)
		var ref *basemap.Refusal
		if !errors.As(err, &ref) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", c.url, err)
		}
	}
	err := cmdServe(context.Background(), []string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--basemap", "/nonexistent/x.pmtiles"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--basemap") {
		t.Errorf("missing archive: %v", err)
	}
}
