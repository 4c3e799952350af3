package postgis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxTileBatch is the most tile statements one pipeline carries. BenchmarkTilePipeline on the county's facilities
// tiles (2 cores, loopback, 8 clients): 1 statement a round trip 13,800 tiles/s, 2 a pipeline 20,600, 4 29,300,
// 8 34,700. Past 8 the gain is small and the last tile of a pipeline waits for all before it.
const maxTileBatch = 8

// tileBatcher joins the tile statements of concurrent requests on one pool into pipelines: one write carrying up to
// maxTileBatch statements, one connection running them in turn, as many pipelines at once as the pool has
// connections. A tile's statement is small and quick (a facilities tile is ~60 µs in PostgreSQL), so its round trip
// (the write, the backend's wake-up, the read back; ~40 µs of CPU on both sides) is most of its cost, and a pipeline
// pays it once. Nothing waits to fill a pipeline: a request that finds a free slot runs at once, alone when it is the
// only one (a single tile costs what it cost before), and requests that arrive while every slot is busy, which would
// have waited for a pooled connection anyway, go out together in the next pipeline (flat combining: the request
// that takes a free slot runs the queue, its own statement among them, until its own is answered).
//
// Each statement is its own result: one that fails (statement_timeout, a bad argument) answers its own request with
// its error, and the statements after it in the pipeline, which PostgreSQL skipped, are run again alone, as are all
// from a statement that met a broken connection, a failed prepare or a replica's fault (ownError). PostgreSQL applies
// statement_timeout to each statement of a pipeline, not to the whole.
type tileBatcher struct {
	mu      sync.Mutex
	pending []*tileCall
	slots   chan struct{} // one per pipeline in flight: the pool's MaxConns
	// pipelines and batched count the pipelines of more than one statement and the statements they carried (tests).
	pipelines, batched atomic.Int64
}

// tileCall is one tile statement waiting for its bytes.
type tileCall struct {
	ctx  context.Context
	sql  string
	args []any
	out  []byte
	err  error
	done chan struct{}
}

func newTileBatcher(pool *pgxpool.Pool) *tileBatcher {
	return &tileBatcher{slots: make(chan struct{}, max(1, int(pool.Config().MaxConns)))}
}

// batcher is the tile batcher of pool (the primary's or a replica's), made on first use.
func (ts *tileState) batcher(pool *pgxpool.Pool) *tileBatcher {
	if b, ok := ts.batchers.Load(pool); ok {
		return b.(*tileBatcher)
	}
	b, _ := ts.batchers.LoadOrStore(pool, newTileBatcher(pool))
	return b.(*tileBatcher)
}

// query runs sql with args on r's pool, in a pipeline with the tile statements of other requests when there are any,
// and returns the one bytea column of its one row. ctx bounds the wait: when it ends first, query returns ctx's error
// and the statement's result, which still comes, is dropped.
func (b *tileBatcher) query(ctx context.Context, r reader, sql string, args []any) ([]byte, error) {
	c := &tileCall{ctx: ctx, sql: sql, args: args, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	b.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case b.slots <- struct{}{}:
		// This request runs pipelines until its own call is answered (or the queue is empty, when another slot
		// holder has taken it), then gives the slot to a request still waiting: under steady load the queue never
		// empties, and a request must not serve others past its own deadline.
		func() {
			defer func() { <-b.slots }() // on a panic too: a lost slot would stall the pool's tiles for good
			b.drain(r, c)
		}()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.out, c.err
}

// drain runs the queued calls, maxTileBatch at a time, until own is answered or none is left. Each call it leaves
// queued has a request waiting for a slot, and the slot drain's caller gives back lets the next of them in. A call
// whose request has gone (its ctx ended while it waited) is answered with that error, not run.
func (b *tileBatcher) drain(r reader, own *tileCall) {
	for {
		select {
		case <-own.done:
			return
		default:
		}
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.mu.Unlock()
			return
		}
		batch := make([]*tileCall, 0, min(len(b.pending), maxTileBatch))
		rest := 0
		for _, c := range b.pending {
			switch {
			case c.ctx.Err() != nil:
				c.err = c.ctx.Err()
				close(c.done)
			case len(batch) < maxTileBatch:
				batch = append(batch, c)
			default:
				b.pending[rest] = c
				rest++
			}
		}
		clear(b.pending[rest:])
		b.pending = b.pending[:rest]
		b.mu.Unlock()
		if len(batch) > 0 {
			b.run(r, batch)
		}
	}
}

// run answers every call of batch: one alone as pgx's QueryRow (with the replica's retry on the primary), more in
// one pipeline.
func (b *tileBatcher) run(r reader, batch []*tileCall) {
	answered := 0
	defer func() {
		// A panic in pgx or a scan must not leave a request waiting for ever.
		for _, c := range batch[answered:] {
			c.err = errTileBatchAborted
			close(c.done)
		}
	}()
	answer := func(c *tileCall, out []byte, err error) {
		c.out, c.err = out, err
		close(c.done)
		answered++
	}
	if len(batch) == 1 {
		c := batch[0]
		var out []byte
		err := r.QueryRow(c.ctx, c.sql, c.args...).Scan(&out)
		answer(c, out, err)
		return
	}
	b.pipelines.Add(1)
	b.batched.Add(int64(len(batch)))
	ctx, cancel := batchContext(batch)
	defer cancel()
	var pb pgx.Batch
	for _, c := range batch {
		pb.Queue(c.sql, c.args...)
	}
	br := r.pool.SendBatch(ctx, &pb)
	defer br.Close() // on a panic: the connection goes back to the pool (a second Close does nothing)
	failed := -1     // the first statement that failed: the ones after it were not run
	for i, c := range batch {
		var out []byte
		err := br.QueryRow().Scan(&out)
		if err != nil {
			failed = i
			if ownError(err) {
				answer(c, nil, err)
				failed = i + 1
			}
			break
		}
		answer(c, out, nil)
	}
	_ = br.Close()
	if failed < 0 {
		return
	}
	// The rest again, one at a time: each gets its own answer (and, on a replica that failed, the primary's).
	for _, c := range batch[failed:] {
		var out []byte
		err := r.QueryRow(c.ctx, c.sql, c.args...).Scan(&out)
		answer(c, out, err)
	}
}

// ownError reports whether err, met by a statement of a pipeline, is that statement's own answer: an error of its
// execution. Not one when pgx could not prepare the pipeline's statements (it charges that to every statement, so to
// the first), could not connect, or met a replica's fault (shutdown, recovery conflict): the statements from there
// run again alone, where the reader retries a replica's fault on the primary.
func ownError(err error) bool {
	var pe *pgconn.PgError
	var pre pgx.ErrPreprocessingBatch
	var ce *pgconn.ConnectError
	return errors.As(err, &pe) && !errors.As(err, &pre) && !errors.As(err, &ce) && !replicaFault(err)
}

var errTileBatchAborted = errors.New("postgis: tile pipeline aborted")

// batchContext bounds a pipeline by the latest deadline of its calls, so that no request's deadline cuts another's
// statement short; no call's cancellation stops it (each request stops waiting on its own).
func batchContext(batch []*tileCall) (context.Context, context.CancelFunc) {
	var last time.Time
	for _, c := range batch {
		d, ok := c.ctx.Deadline()
		if !ok {
			return context.WithCancel(context.WithoutCancel(batch[0].ctx))
		}
		if d.After(last) {
			last = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(batch[0].ctx), last)
}
