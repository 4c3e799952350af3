package postgis

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"civmap/data/postgis/pgtest"
	"civmap/data/sample"
	"civmap/tiles"
)

// holdSlots takes every slot of b, so that the calls made meanwhile queue; release lets one of them run the queue.
func holdSlots(b *tileBatcher) (release func()) {
	for range cap(b.slots) {
		b.slots <- struct{}{}
	}
	return func() {
		for range cap(b.slots) {
			<-b.slots
		}
	}
}

// waitPending waits until n calls are queued in b.
func waitPending(t *testing.T, b *tileBatcher, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		got := len(b.pending)
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", got, n)
		}
	}
}

// openOneConn opens a store on a fresh database with a pool of one connection: one pipeline at a time.
func openOneConn(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), pgtest.NewDatabase(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTilePipelineAnswersEachTile: 64 tile requests that queue while the one connection is busy go out in pipelines
// of at most maxTileBatch statements, and each request gets its own tile: the bytes the statement gives alone.
func TestTilePipelineAnswersEachTile(t *testing.T) {
	ctx := context.Background()
	st := openOneConn(t)
	if _, err := sample.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	ts := tiles.BenchmarkTileSet()[:64]
	want := make([][]byte, len(ts))
	nonEmpty := 0
	for i, tl := range ts {
		var err error
		if want[i], err = st.BareMVT(ctx, tl, tiles.Layers); err != nil {
			t.Fatal(err)
		}
		if len(want[i]) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 32 {
		t.Fatalf("only %d of 64 tiles have features: the test would prove little", nonEmpty)
	}
	b := st.tiles.batcher(st.pool)
	release := holdSlots(b)
	got := make([][]byte, len(ts))
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, tl := range ts {
		wg.Go(func() { got[i], errs[i] = st.MVT(ctx, tl, tiles.Layers, int(tl.Z)) })
	}
	waitPending(t, b, len(ts))
	release()
	wg.Wait()
	for i, tl := range ts {
		if errs[i] != nil {
			t.Errorf("tile %d/%d/%d: %v", tl.Z, tl.X, tl.Y, errs[i])
		} else if !bytes.Equal(got[i], want[i]) {
			t.Errorf("tile %d/%d/%d: %d bytes from the pipeline, %d alone", tl.Z, tl.X, tl.Y, len(got[i]), len(want[i]))
		}
	}
	if p, n := b.pipelines.Load(), b.batched.Load(); p != 64/maxTileBatch || n != 64 {
		t.Errorf("%d pipelines carrying %d statements, want %d carrying 64", p, n, 64/maxTileBatch)
	}
}

// TestTilePipelineFailureIsItsOwn: a statement that fails in a pipeline answers its own request with its error; the
// statements after it, which PostgreSQL skipped, are run again and answer theirs; a request that went away while
// queued gets its context's error and is not run.
func TestTilePipelineFailureIsItsOwn(t *testing.T) {
	ctx := context.Background()
	st := openOneConn(t)
	b := st.tiles.batcher(st.pool)
	rd := reader{primary: st.pool, pool: st.pool}
	gone, cancel := context.WithCancel(ctx)
	type call struct {
		ctx  context.Context
		sql  string
		arg  int32
		want string // the bytes, or the SQLSTATE / error wanted
	}
	calls := []call{
		{ctx, `SELECT convert_to('a' || $1::int, 'UTF8')`, 1, "a1"},
		{ctx, `SELECT convert_to('b' || $1::int, 'UTF8')`, 2, "b2"},
		{ctx, `SELECT convert_to((1 / $1::int)::text, 'UTF8')`, 0, "22012"}, // division by zero
		{gone, `SELECT convert_to('d' || $1::int, 'UTF8')`, 4, "context canceled"},
		{ctx, `SELECT convert_to('e' || $1::int, 'UTF8')`, 5, "e5"},
		{ctx, `SELECT convert_to('f' || $1::int, 'UTF8')`, 6, "f6"},
	}
	release := holdSlots(b)
	got := make([]string, len(calls))
	returned := make([]chan struct{}, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		returned[i] = make(chan struct{})
		wg.Go(func() {
			defer close(returned[i])
			out, err := b.query(c.ctx, rd, c.sql, []any{c.arg})
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe):
				got[i] = pe.Code
			case err != nil:
				got[i] = err.Error()
			default:
				got[i] = string(out)
			}
		})
		waitPending(t, b, i+1) // queued in this order
	}
	cancel()
	select {
	case <-returned[3]: // the request that went away returns at once, before any statement runs
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled request still waits for its tile")
	}
	release()
	wg.Wait()
	for i, c := range calls {
		if got[i] != c.want {
			t.Errorf("call %d (%s, %d): %q, want %q", i, c.sql, c.arg, got[i], c.want)
		}
	}
	if p, n := b.pipelines.Load(), b.batched.Load(); p != 1 || n != 5 {
		t.Errorf("%d pipelines carrying %d statements, want 1 carrying 5 (the cancelled call not run)", p, n)
	}
}
