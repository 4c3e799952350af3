package postgis

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

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

// queueAndRun queues one call per statement (argument args[i]) while every slot of b is held, in order, then lets
// them run, and returns each answer: its bytes as text, its SQLSTATE, or its error.
func queueAndRun(t *testing.T, b *tileBatcher, rd reader, sqls []string, args []int32) []string {
	t.Helper()
	release := holdSlots(b)
	got := make([]string, len(sqls))
	var wg sync.WaitGroup
	for i := range sqls {
		wg.Go(func() { got[i] = answerText(b.query(context.Background(), rd, sqls[i], []any{args[i]})) })
		waitPending(t, b, i+1)
	}
	release()
	wg.Wait()
	return got
}

func answerText(out []byte, err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return pe.Code
	case err != nil:
		return err.Error()
	}
	return string(out)
}

// TestTilePipelinePrepareError: pgx prepares a pipeline's new statements together before running any, and charges a
// failed prepare to every statement; the failure is then the bad statement's alone, not the first one's.
func TestTilePipelinePrepareError(t *testing.T) {
	st := openOneConn(t)
	got := queueAndRun(t, st.tiles.batcher(st.pool), reader{primary: st.pool, pool: st.pool}, []string{
		`SELECT convert_to('a' || $1::int, 'UTF8')`,
		`SELECT convert_to(no_such_column || $1::int, 'UTF8')`,
		`SELECT convert_to('c' || $1::int, 'UTF8')`}, []int32{1, 2, 3})
	if want := []string{"a1", "42703", "c3"}; !slices.Equal(got, want) {
		t.Errorf("answers %q, want %q (42703: undefined column)", got, want)
	}
}

// TestTilePipelineReplicaFault: a replica's fault met in a pipeline (here a recovery conflict, 40001, raised by a
// function whenever it runs on a connection named as replica connections are) takes the replica out and is answered
// from the primary, as the same statement alone is.
func TestTilePipelineReplicaFault(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st, err := Open(ctx, url, Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.pool.Exec(ctx, `CREATE FUNCTION conflict_on_replica(i int) RETURNS bytea LANGUAGE plpgsql AS $$
		BEGIN
			IF current_setting('application_name') = '`+replicaAppName+`' THEN
				RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001';
			END IF;
			RETURN convert_to('p' || i, 'UTF8');
		END $$`); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["application_name"] = replicaAppName
	rp, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	rep := &replica{name: "same database, replica's name", pool: rp}
	rd := reader{primary: st.pool, pool: rp, rep: rep}
	b := newTileBatcher(rp)
	for _, c := range []struct {
		name string
		sqls []string
		want []string
	}{
		{"alone", []string{`SELECT conflict_on_replica($1::int)`}, []string{"p1"}},
		{"in a pipeline", []string{`SELECT convert_to('a' || $1::int, 'UTF8')`, `SELECT conflict_on_replica($1::int)`,
			`SELECT convert_to('c' || $1::int, 'UTF8')`}, []string{"a1", "p2", "c3"}},
	} {
		rep.healthy.Store(true)
		args := []int32{1, 2, 3}[:len(c.sqls)]
		if got := queueAndRun(t, b, rd, c.sqls, args); !slices.Equal(got, c.want) {
			t.Errorf("%s: answers %q, want %q", c.name, got, c.want)
		}
		if rep.healthy.Load() {
			t.Errorf("%s: the replica is still in after a recovery conflict", c.name)
		}
	}
}

// TestTilePipelineOwnDeadline: under steady load the queue never empties; a request holding a slot serves the queue
// only until its own tile is answered, so none waits much past its own deadline: 500 ms here, and about 300 ms is
// the slowest (8 clients, one connection, 20 ms statements); before, the slot holders served the others for 1.6–3 s.
func TestTilePipelineOwnDeadline(t *testing.T) {
	st := openOneConn(t)
	b := st.tiles.batcher(st.pool)
	rd := reader{primary: st.pool, pool: st.pool}
	var mu sync.Mutex
	var worst time.Duration
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				start := time.Now()
				_, _ = b.query(ctx, rd, `SELECT convert_to(pg_sleep(0.02)::text || $1::int, 'UTF8')`, []any{int32(1)})
				took := time.Since(start)
				cancel()
				mu.Lock()
				worst = max(worst, took)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if worst > time.Second {
		t.Errorf("the slowest request took %v with a 500 ms deadline", worst)
	}
}

// panicArg panics when pgx encodes it: a stand-in for any panic while a pipeline runs.
type panicArg struct{}

func (panicArg) Value() (driver.Value, error) { panic("encoding a tile argument") }

// TestTilePipelinePanicFreesSlot: a panic while running the queue reaches the caller (tiles.Service recovers it into
// an error) but gives back the slot, or after as many panics as connections every tile of the pool would wait out its
// timeout.
func TestTilePipelinePanicFreesSlot(t *testing.T) {
	ctx := context.Background()
	// Not closed: a panic inside pgx's QueryRow leaks its connection inside pgxpool itself, and Close would wait for it.
	st, err := Open(ctx, pgtest.NewDatabase(t), Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := st.tiles.batcher(st.pool)
	rd := reader{primary: st.pool, pool: st.pool}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic reached the caller")
			}
		}()
		_, _ = b.query(ctx, rd, `SELECT convert_to($1::text, 'UTF8')`, []any{panicArg{}})
	}()
	if n := len(b.slots); n != 0 {
		t.Errorf("%d of %d slots still taken after the panic", n, cap(b.slots))
	}
}
