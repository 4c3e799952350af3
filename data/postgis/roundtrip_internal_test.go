package postgis

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"civmap/data/postgis/pgtest"
	"civmap/data/sample"
	"civmap/tiles"
)

// writeCounter counts the writes a client makes on its connection: pgx writes each batch of protocol messages it
// sends before waiting for the server (one flush), so on one connection the writes are the round trips.
type writeCounter struct {
	net.Conn
	n *atomic.Int64
}

func (c writeCounter) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

// TestTileOneRoundTrip: an uncached tile is one round trip to PostgreSQL (Bind, Execute and Sync in one write; no
// set_config, no lookup before it), and its statement is prepared once per connection, not per tile: on a pool of
// one connection, the first tile of each statement (layer list and zoom) costs at most two writes (Parse and Describe,
// then the query), and every later tile exactly one.
func TestTileOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	var writes atomic.Int64
	st, err := Open(ctx, pgtest.NewDatabase(t), Options{MaxConns: 1,
		wrapConn: func(c net.Conn) net.Conn { return writeCounter{c, &writes} }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := sample.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, layers := range [][]tiles.Layer{tiles.Layers, tiles.Layers[:1]} {
		seen := map[int]bool{}
		for i, tl := range tiles.BenchmarkTileSet() {
			if i == 300 {
				break
			}
			before := writes.Load()
			if _, err := st.MVT(ctx, tl, layers, int(tl.Z)); err != nil {
				t.Fatal(err)
			}
			n := writes.Load() - before
			if first := !seen[int(tl.Z)]; first {
				seen[int(tl.Z)] = true
				if n < 1 || n > 2 {
					t.Errorf("first tile at z%d (%d layers): %d writes, want 1 or 2", tl.Z, len(layers), n)
				}
			} else if n != 1 {
				t.Errorf("tile %d/%d/%d (%d layers): %d writes, want 1", tl.Z, tl.X, tl.Y, len(layers), n)
			}
		}
	}
}
