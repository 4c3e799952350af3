// Package postgis is the production store: PostgreSQL with PostGIS and pg_trgm, through a pgx/v5 pool. It implements
// data.Store with the same behaviour as data/embedded (both pass data/storetest).
//
// Geometry is kept in columns with typmod SRID 4490 (CGCS2000 lon/lat, degrees) and GiST indexes, and crosses the wire as
// WKB, so float64 coordinates round-trip exactly. Lists ordered by key use byte order (COLLATE "C"). Timestamps are set by
// the store in UTC, truncated to microseconds (PostgreSQL's precision), so a returned record equals a re-read one.
// The schema is in migrations/*.sql, applied by goose at Open and by Migrate.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"civmap/data"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tunes a Store. The pool size and other pool settings come from the URL (pool_max_conns, pool_min_conns, …,
// see pgxpool.ParseConfig).
type Options struct {
	// StatementTimeout is the server-side statement_timeout of every connection (reads and single-record writes);
	// 0 keeps the server's setting.
	StatementTimeout time.Duration
	// ImportStatementTimeout replaces StatementTimeout for the statements of Import, whose batches can be large
	// (a million places take tens of seconds); 0 means no limit.
	ImportStatementTimeout time.Duration
	// BulkPlaces is the number of places from which an Import drops the secondary indexes of places and rebuilds them
	// after the insert, when the batch is also at least a quarter of the places already stored: building the GIN
	// trigram and GiST indexes over a million rows is several times faster than growing them row by row. The price is an
	// ACCESS EXCLUSIVE lock on places until the import commits, so place reads wait for a bulk import. 0 means 50,000;
	// a negative value never rebuilds.
	BulkPlaces int
	// ReadOnly opens a database that is already migrated without applying migrations or backfills (a dry run writes
	// nothing): a database without civmap's schema, or with migrations pending, is an error saying so.
	ReadOnly bool
	// MaxConns caps the pool (pgxpool's MaxConns); 0 keeps pgx's default, the larger of 4 and the CPU count. Requests
	// beyond it wait for a connection rather than opening one, so a burst never meets PostgreSQL's "too many clients".
	MaxConns int32
	// ReplicaURLs are streaming standbys of the primary that routed reads may use (see replica.go for the rule).
	ReplicaURLs []string
	// ReplicaMaxLag takes a replica out while it lags more than this behind the primary; 0 means 5 s.
	ReplicaMaxLag time.Duration
	// ReplicaCheck is the period of the replicas' health checks; 0 means min(1 s, ReplicaMaxLag/4).
	ReplicaCheck time.Duration
	// wrapConn, set only by tests, wraps every connection of the primary's pool (to count its round trips).
	wrapConn func(net.Conn) net.Conn
}

// Store is a data.Store in PostgreSQL/PostGIS. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	// tiles holds the tile-cache subscribers (tiles.Notifier, notify.go) and the tile queries (tiles.go).
	tiles tileState
	// rep is the read replicas (nil: none), replica.go.
	rep *replicaSet
	// bench is set only by BenchmarkEditPlace, to measure UpdatePlace without its audit entry or without its version
	// (see benchMode); it is zero, everything recorded, everywhere else.
	bench benchMode
}

var _ data.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value DSN), applies the pending migrations (creating the
// postgis and pg_trgm extensions if needed, which takes a role allowed to) and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgis: database URL: %w", err)
	}
	if opts.ReadOnly {
		if err := checkMigrated(ctx, cfg.ConnConfig.Copy()); err != nil {
			return nil, err
		}
	} else if err := migrate(ctx, cfg.ConnConfig.Copy()); err != nil {
		return nil, err
	}
	configurePool(cfg, opts)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	s := &Store{pool: pool, opts: opts}
	if err := s.Ready(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.openReplicas(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if opts.ReadOnly {
		return s, nil
	}
	if err := s.backfillGrid(ctx); err != nil {
		s.rep.close()
		pool.Close()
		return nil, err
	}
	if err := s.backfillVersions(ctx); err != nil {
		s.rep.close()
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the pending migrations to the database at url (the `civmap migrate` command). Concurrent callers are
// serialised by a PostgreSQL advisory lock.
func Migrate(ctx context.Context, url string) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("postgis: database URL: %w", err)
	}
	return migrate(ctx, cfg.ConnConfig)
}

func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	fsys, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgis: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgis: migrate: %w", err)
	}
	return nil
}

// checkMigrated fails unless every migration has been applied, without writing (goose's version table is only read).
func checkMigrated(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("postgis: %w", err)
	}
	if !exists {
		return errors.New("postgis: the database has no civmap schema (opened read-only, nothing is created): run " +
			"`civmap migrate` or `civmap serve` on it first")
	}
	fsys, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	if err != nil {
		return fmt.Errorf("postgis: migrations: %w", err)
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("postgis: migrations: %w", err)
	}
	if pending {
		return errors.New("postgis: the database has migrations pending (opened read-only, nothing is changed): run " +
			"`civmap migrate` first")
	}
	return nil
}

// Ready reports nil when the database answers.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgis: %w", err)
	}
	return nil
}

// Empty reports whether the store holds no divisions.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var empty bool
	if err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM divisions)`).Scan(&empty); err != nil {
		return false, fmt.Errorf("postgis: empty: %w", err)
	}
	return empty, nil
}

// Close stops the change listener (Subscribe) and closes the pool, waiting for connections in use to be released. The
// database can be opened again.
func (s *Store) Close() error {
	s.stopListener()
	s.rep.close()
	s.pool.Close()
	return nil
}

// Pool is the underlying connection pool, for the packages that query the database directly (tiles with ST_AsMVT).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// now is the store's clock: UTC, at PostgreSQL's microsecond precision, so that what a write returns equals a re-read.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// noRows maps pgx.ErrNoRows to err (an apierr sentinel wrapped with context) and wraps anything else.
func noRows(err error, notFound error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	return fmt.Errorf("postgis: %s: %w", what, err)
}

// cancelFallback is how long a cancelled query may take to stop after its cancel request before the connection is
// given up (closed) instead.
const cancelFallback = 2 * time.Second

// configurePool applies opts to a pool's config, the primary's and every replica's alike: the session
// statement_timeout, the pool size, and cancellation. A query whose context ends (a request's timeout, a tile's render
// Timeout, a client gone) is cancelled in the server too: pgx sends PostgreSQL a cancel request at once, so the
// statement stops working and the connection stays usable (pgx's default only drops the connection, and the backend
// works on until it next writes to it).
func configurePool(cfg *pgxpool.Config, opts Options) {
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelFallback}
	}
	if wrap, dial := opts.wrapConn, cfg.ConnConfig.DialFunc; wrap != nil {
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wrap(c), nil
		}
	}
}
