package postgis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Read replicas (Options.ReplicaURLs): PostgreSQL streaming standbys of the primary.
//
// The rule (the "seen LSN" rule). The store keeps seen, the highest primary WAL position (LSN, pg_lsn as a uint64) it
// knows to hold a committed write it has made or been told about: after every commit of its own it reads
// pg_current_wal_insert_lsn() on the primary (≥ the commit record's end), and so it does before delivering each tile
// notification that arrives by LISTEN (which stays on the primary) from another process. A routed read goes to a replica
// only if that replica is healthy and has replayed at least max(seen, the LSN the context carries, WithMinLSN): so a read
// never sees less than the writes this server acknowledged or invalidated tiles for (a regenerated tile is never older
// than the invalidation that dropped it), and a client that carries the LSN of its last write (cmd/civmap sets the
// Civmap-LSN response header and cookie on writes and reads it back) reads its own writes from any server of a fleet.
// The replica's replay position (pg_last_wal_replay_lsn()) is known from its last health check; when it is behind what a
// read needs, one live check on the replica decides, and if it is still behind the primary serves the read. (The insert
// position can sit one page header past the last record's end when that ends on a WAL page boundary; the replica then
// looks behind until the primary writes more WAL — at worst the bgwriter's standby snapshot, every 15 s — and the primary
// serves meanwhile: safe, only slower.)
//
// Health. Every ReplicaCheck a goroutine samples pg_current_wal_lsn() on the primary (time, LSN) and asks each replica
// for pg_is_in_recovery() and pg_last_wal_replay_lsn(). A replica's lag is the time since the primary first held WAL the
// replica has not replayed (now − the time of the oldest sample beyond its replay position; 0 when caught up) — exact
// whether the primary is busy or idle, unlike now() − pg_last_xact_replay_timestamp(). A replica that lags past
// ReplicaMaxLag, is not in recovery, or fails its check is out until a later check finds it good; a read on a replica
// that fails with a connection error (or a recovery conflict, SQLSTATE 40001) takes it out at once and is retried on the
// primary, so reads keep answering when a replica dies.
//
// Routed reads: divisions, places, lines, markers, facilities, demand units, locate, tiles (MVT) and documents. Writes,
// reads inside writes (WithPrimary), history, audit, tokens (a revocation must bite at once) and the check/backup
// commands use the primary.

// LSN is a PostgreSQL WAL position (pg_lsn) as a number: the text form "X/Y" is X<<32 | Y (hex).
type LSN uint64

// ParseLSN reads the pg_lsn text form "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("postgis: LSN %q is not of the form X/Y", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("postgis: LSN %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("postgis: LSN %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// String is the pg_lsn text form.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

type ctxKey int

const (
	keyMinLSN ctxKey = iota
	keyPrimary
)

// WithMinLSN returns ctx whose routed reads see at least the primary's WAL up to lsn (a client's last write).
func WithMinLSN(ctx context.Context, lsn LSN) context.Context {
	if old, _ := ctx.Value(keyMinLSN).(LSN); old >= lsn {
		return ctx
	}
	return context.WithValue(ctx, keyMinLSN, lsn)
}

// WithPrimary returns ctx whose reads all go to the primary (the reads of a write request, which decide what it writes).
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, keyPrimary, true)
}

// ReplicaStatus is a replica as its last health check and the routed reads saw it.
type ReplicaStatus struct {
	Name      string        // host:port/database of its URL (no user or password)
	Healthy   bool          // reads may go to it
	ReplayLSN LSN           // pg_last_wal_replay_lsn() at the last check
	Lag       time.Duration // see the package comment on Health
	Reads     int64         // routed reads it served
	Err       string        // why it is out, when it is
}

type replica struct {
	name    string
	pool    *pgxpool.Pool
	healthy atomic.Bool
	replay  atomic.Uint64
	lag     atomic.Int64
	reads   atomic.Int64
	err     atomic.Pointer[string]
}

func (r *replica) fail(err error) {
	msg := err.Error()
	r.err.Store(&msg)
	r.healthy.Store(false)
}

type lsnSample struct {
	at  time.Time
	lsn LSN
}

type replicaSet struct {
	list         []*replica
	maxLag       time.Duration
	every        time.Duration
	seen         atomic.Uint64
	primaryReads atomic.Int64
	next         atomic.Uint32
	mu           sync.Mutex // guards samples (the health goroutine and tests)
	samples      []lsnSample
	stop         context.CancelFunc
	done         chan struct{}
}

const (
	defaultReplicaMaxLag = 5 * time.Second
	replicaAppName       = "civmap-replica"
)

// openReplicas connects to the replicas (lazily: a replica down at start-up is only out) and starts the health checks.
func (s *Store) openReplicas(ctx context.Context) error {
	if len(s.opts.ReplicaURLs) == 0 {
		return nil
	}
	rs := &replicaSet{maxLag: s.opts.ReplicaMaxLag, every: s.opts.ReplicaCheck}
	if rs.maxLag <= 0 {
		rs.maxLag = defaultReplicaMaxLag
	}
	if rs.every <= 0 {
		rs.every = min(time.Second, rs.maxLag/4)
	}
	for _, u := range s.opts.ReplicaURLs {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			rs.close()
			return fmt.Errorf("postgis: replica URL: %w", err)
		}
		configurePool(cfg, s.opts)
		cfg.ConnConfig.RuntimeParams["application_name"] = replicaAppName
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			rs.close()
			return fmt.Errorf("postgis: replica %s: %w", redact(u), err)
		}
		r := &replica{name: redact(u), pool: pool}
		r.fail(errors.New("not checked yet"))
		rs.list = append(rs.list, r)
	}
	s.rep = rs
	s.checkReplicas(ctx)
	hctx, stop := context.WithCancel(context.Background())
	rs.stop, rs.done = stop, make(chan struct{})
	go func() {
		defer close(rs.done)
		t := time.NewTicker(rs.every)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				s.checkReplicas(hctx)
			}
		}
	}()
	return nil
}

// close stops the health checks and closes the replicas' pools.
func (rs *replicaSet) close() {
	if rs == nil {
		return
	}
	if rs.stop != nil {
		rs.stop()
		<-rs.done
	}
	for _, r := range rs.list {
		r.pool.Close()
	}
}

// redact is the host:port/database of a URL or DSN, for status and errors.
func redact(u string) string {
	cfg, err := pgconn.ParseConfig(u)
	if err != nil {
		if p, err := url.Parse(u); err == nil {
			return p.Host + p.Path
		}
		return "?"
	}
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// checkReplicas is one round of health checks.
func (s *Store) checkReplicas(ctx context.Context) {
	rs := s.rep
	timeout := max(rs.every, time.Second)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	var cur string
	err := s.pool.QueryRow(pctx, `SELECT pg_current_wal_lsn()::text`).Scan(&cur)
	cancel()
	now := time.Now()
	if err == nil {
		if l, err := ParseLSN(cur); err == nil {
			rs.mu.Lock()
			rs.samples = append(rs.samples, lsnSample{now, l})
			// Keep a window longer than maxLag: a replica behind the oldest sample still shows a lag past maxLag.
			keep := 0
			for keep < len(rs.samples)-1 && now.Sub(rs.samples[keep].at) > 2*rs.maxLag+2*rs.every {
				keep++
			}
			rs.samples = rs.samples[keep:]
			rs.mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, r := range rs.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var standby bool
			var replay *string
			if err := r.pool.QueryRow(rctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).
				Scan(&standby, &replay); err != nil {
				r.fail(err)
				return
			}
			if !standby || replay == nil {
				r.fail(errors.New("not a streaming standby (pg_is_in_recovery() is false)"))
				return
			}
			l, err := ParseLSN(*replay)
			if err != nil {
				r.fail(err)
				return
			}
			storeMax(&r.replay, uint64(l))
			lag := rs.lagOf(l, time.Now())
			r.lag.Store(int64(lag))
			if lag > rs.maxLag {
				r.fail(fmt.Errorf("lags %v behind the primary (replica max lag %v)", lag.Round(time.Millisecond), rs.maxLag))
				return
			}
			r.err.Store(nil)
			r.healthy.Store(true)
		}()
	}
	wg.Wait()
}

// lagOf is how long the primary has held WAL beyond replay: now − the oldest sample past it, 0 if there is none.
func (rs *replicaSet) lagOf(replay LSN, now time.Time) time.Duration {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, smp := range rs.samples {
		if smp.lsn > replay {
			return now.Sub(smp.at)
		}
	}
	return 0
}

func storeMax(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if old >= v || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// committed raises seen to the primary's WAL insert position, after a commit of this store or before delivering a
// change notification of another process. When the position cannot be read, seen becomes "unknown" (all ones) and
// routed reads use the primary until a later call reads it again.
func (s *Store) committed(ctx context.Context) {
	if s.rep == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var cur string
	if err := s.pool.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&cur); err == nil {
		if l, err := ParseLSN(cur); err == nil {
			storeMax(&s.rep.seen, uint64(l))
			return
		}
	}
	// Unknown: no replica is fresh enough until the next commit reads the position again.
	s.rep.seen.Store(^uint64(0))
}

// SeenLSN is the highest primary WAL position this store has committed or been told about (0 without replicas): the
// value a write response hands to its client (WithMinLSN).
func (s *Store) SeenLSN() LSN {
	if s.rep == nil {
		return 0
	}
	v := s.rep.seen.Load()
	if v == ^uint64(0) {
		return 0
	}
	return LSN(v)
}

// Replicas reports the replicas' state and the number of routed reads the primary served.
func (s *Store) Replicas() ([]ReplicaStatus, int64) {
	if s.rep == nil {
		return nil, 0
	}
	var out []ReplicaStatus
	for _, r := range s.rep.list {
		st := ReplicaStatus{Name: r.name, Healthy: r.healthy.Load(), ReplayLSN: LSN(r.replay.Load()),
			Lag: time.Duration(r.lag.Load()), Reads: r.reads.Load()}
		if e := r.err.Load(); e != nil {
			st.Err = *e
		}
		out = append(out, st)
	}
	return out, s.rep.primaryReads.Load()
}

// CheckReplicas runs one round of health checks now (tests; the goroutine runs them every ReplicaCheck).
func (s *Store) CheckReplicas(ctx context.Context) {
	if s.rep != nil {
		s.checkReplicas(ctx)
	}
}

// read is where a routed read goes (see the package comment on replicas).
func (s *Store) read(ctx context.Context) reader {
	rs := s.rep
	if rs == nil {
		return reader{primary: s.pool, pool: s.pool}
	}
	if p, _ := ctx.Value(keyPrimary).(bool); !p {
		need := rs.seen.Load()
		if l, _ := ctx.Value(keyMinLSN).(LSN); uint64(l) > need {
			need = uint64(l)
		}
		if r := rs.pick(ctx, need); r != nil {
			r.reads.Add(1)
			return reader{primary: s.pool, pool: r.pool, rep: r}
		}
	}
	rs.primaryReads.Add(1)
	return reader{primary: s.pool, pool: s.pool}
}

// pick is a healthy replica that has replayed need (round robin), after at most one live check; nil if none.
func (rs *replicaSet) pick(ctx context.Context, need uint64) *replica {
	n := len(rs.list)
	start := int(rs.next.Add(1))
	var behind *replica
	for i := range n {
		r := rs.list[(start+i)%n]
		if !r.healthy.Load() {
			continue
		}
		if r.replay.Load() >= need {
			return r
		}
		if behind == nil {
			behind = r
		}
	}
	if behind == nil || need == ^uint64(0) {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var replay *string
	if err := behind.pool.QueryRow(cctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&replay); err != nil {
		if ctx.Err() == nil && replicaFault(err) {
			behind.fail(err)
		}
		return nil
	}
	if replay == nil {
		return nil
	}
	l, err := ParseLSN(*replay)
	if err != nil {
		return nil
	}
	storeMax(&behind.replay, uint64(l))
	if uint64(l) >= need {
		return behind
	}
	return nil
}

// replicaFault reports whether err says the replica (not the query) failed: no connection, a lost one, a server
// shutting down, too many clients, or a query cancelled by a recovery conflict. SQL errors and "no rows" are the
// query's and would be the same on the primary.
func replicaFault(err error) bool {
	if err == nil || errors.Is(err, pgx.ErrNoRows) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "40001" ||
			pe.Code == "53300"
	}
	var se pgx.ScanArgError
	return !errors.As(err, &se)
}

// txStarter begins transactions: a pool or a reader (pgx.BeginTxFunc's argument).
type txStarter interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// reader is a pool chosen for one read, which retries on the primary when a replica fails under it.
type reader struct {
	primary, pool *pgxpool.Pool
	rep           *replica // nil: pool is the primary
}

func (r reader) retry(ctx context.Context, err error) bool {
	if r.rep == nil || ctx.Err() != nil || !replicaFault(err) {
		return false
	}
	r.rep.fail(err)
	return true
}

// Query is pgxpool's Query (an error during the rows' iteration is not retried).
func (r reader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil && r.retry(ctx, err) {
		return r.primary.Query(ctx, sql, args...)
	}
	return rows, err
}

// QueryRow is pgxpool's QueryRow; the row's Scan retries on the primary.
func (r reader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{r: r, ctx: ctx, row: r.pool.QueryRow(ctx, sql, args...), sql: sql, args: args}
}

type retryRow struct {
	r    reader
	ctx  context.Context
	row  pgx.Row
	sql  string
	args []any
}

func (rr retryRow) Scan(dest ...any) error {
	err := rr.row.Scan(dest...)
	if err != nil && rr.r.retry(rr.ctx, err) {
		return rr.r.primary.QueryRow(rr.ctx, rr.sql, rr.args...).Scan(dest...)
	}
	return err
}

// SendBatch sends b and closes its results (the queued queries' callbacks read them), retrying on the primary.
func (r reader) SendBatch(ctx context.Context, b *pgx.Batch) error {
	err := r.pool.SendBatch(ctx, b).Close()
	if err != nil && r.retry(ctx, err) {
		return r.primary.SendBatch(ctx, b).Close()
	}
	return err
}

// BeginTx is pgxpool's BeginTx (for pgx.BeginTxFunc), retrying on the primary when the replica cannot begin.
func (r reader) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := r.pool.BeginTx(ctx, opts)
	if err != nil && r.retry(ctx, err) {
		return r.primary.BeginTx(ctx, opts)
	}
	return tx, err
}
