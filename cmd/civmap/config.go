package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"civmap/data"
	"civmap/data/embedded"
	"civmap/data/postgis"
)

// storeFlags are the flags of every subcommand that opens a store.
type storeFlags struct {
	dataDir     string
	databaseURL string
	lockTimeout time.Duration
	stmtTimeout time.Duration
	maxConns    int
	replicaURLs urlList       // PostGIS read replicas (replicas.go)
	replicaLag  time.Duration // --replica-max-lag
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	stringVar(fs, &s.dataDir, "data-dir", "CIVMAP_DATA_DIR", "./var", "folder of the embedded store (used when no database URL is given)")
	stringVar(fs, &s.databaseURL, "database-url", "CIVMAP_DATABASE_URL", "", "PostGIS URL (postgres://user@host:port/db); empty uses the embedded store")
	durationVar(fs, &s.lockTimeout, "lock-timeout", "CIVMAP_LOCK_TIMEOUT", time.Second, "how long to wait for another process to release the embedded store")
	intVar(fs, &s.maxConns, "max-conns", "CIVMAP_MAX_CONNS", 0, "PostGIS: most database connections the pool opens; requests beyond it queue for one (0: pgx's default, the larger of 4 and the CPU count)")
	fs.Var(&s.replicaURLs, "database-replica-url", "PostGIS: a streaming replica for tiles, feature reads, search and coverage; repeatable, comma-separated in the variable ($CIVMAP_DATABASE_REPLICA_URL)")
	durationVar(fs, &s.replicaLag, "replica-max-lag", "CIVMAP_REPLICA_MAX_LAG", 5*time.Second, "PostGIS: a replica lagging longer behind the primary is taken out and the primary serves (0: 5s)")
	durationVar(fs, &s.stmtTimeout, "statement-timeout", "CIVMAP_STATEMENT_TIMEOUT", 30*time.Second, "PostGIS: statement_timeout of reads and single edits (imports have none); 0 keeps the server's")
}

// open opens the store the flags name: PostGIS when a URL is given, the embedded store otherwise.
func (s *storeFlags) open(ctx context.Context) (data.Store, string, error) {
	return s.openMode(ctx, false)
}

// openMode is open, read-only when readOnly (a dry run): nothing is created, migrated or locked for writing, and a
// missing or outdated store is an error.
func (s *storeFlags) openMode(ctx context.Context, readOnly bool) (data.Store, string, error) {
	if s.maxConns < 0 {
		return nil, "", fmt.Errorf("--max-conns ($CIVMAP_MAX_CONNS) must not be negative, got %d", s.maxConns)
	}
	if s.lockTimeout < 0 || s.stmtTimeout < 0 {
		return nil, "", fmt.Errorf("--lock-timeout ($CIVMAP_LOCK_TIMEOUT) and --statement-timeout ($CIVMAP_STATEMENT_TIMEOUT) must not be negative, got %v and %v", s.lockTimeout, s.stmtTimeout)
	}
	if len(s.replicaURLs) > 0 && s.databaseURL == "" {
		return nil, "", fmt.Errorf("--database-replica-url ($CIVMAP_DATABASE_REPLICA_URL) needs --database-url")
	}
	if s.replicaLag < 0 {
		return nil, "", fmt.Errorf("--replica-max-lag ($CIVMAP_REPLICA_MAX_LAG) must not be negative, got %v", s.replicaLag)
	}
	if s.databaseURL != "" {
		st, err := postgis.Open(ctx, s.databaseURL, postgis.Options{StatementTimeout: s.stmtTimeout, ReadOnly: readOnly,
			MaxConns: int32(s.maxConns), ReplicaURLs: s.replicaURLs, ReplicaMaxLag: s.replicaLag})
		return st, "postgis", err
	}
	st, err := embedded.Open(s.dataDir, embedded.Options{Timeout: s.lockTimeout, ReadOnly: readOnly})
	return st, "embedded", err
}

// newFlagSet makes a subcommand's flag set whose --help prints the usage line and every flag with its variable.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: civmap %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// newStoreFlagSet is newFlagSet with the store flags registered, for a subcommand that opens a store.
func newStoreFlagSet(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *storeFlags) {
	fs := newFlagSet(name, synopsis, stderr)
	sf := new(storeFlags)
	sf.register(fs)
	return fs, sf
}

// envRef finds the environment variable a flag's help names, "($CIVMAP_X)".
var envRef = regexp.MustCompile(`\(\$(CIVMAP_[A-Z0-9_]+)\)`)

// parse parses args, then gives every flag not on the command line the value of its CIVMAP_* variable when that is set,
// through the flag's own parser, so a bad value (CIVMAP_NO_SAMPLE=yes, CIVMAP_LOCK_TIMEOUT=abc) is an error naming the
// variable rather than a silent default. Flag errors become errUsage (the flag package has printed them).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		m := envRef.FindStringSubmatch(f.Usage)
		if m == nil || onCommandLine[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(m[1]); ok {
			if err := fs.Set(f.Name, strings.TrimSpace(v)); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a valid value for --%s (%s): %v", m[1], v, f.Name,
					strings.TrimSpace(envRef.ReplaceAllString(f.Usage, "")), err))
			}
		}
	})
	return errors.Join(errs...)
}

func stringVar(fs *flag.FlagSet, p *string, name, envName, def, help string) {
	fs.StringVar(p, name, def, help+" ($"+envName+")")
}

func boolVar(fs *flag.FlagSet, p *bool, name, envName string, help string) {
	fs.BoolVar(p, name, false, help+" ($"+envName+")")
}

func intVar(fs *flag.FlagSet, p *int, name, envName string, def int, help string) {
	fs.IntVar(p, name, def, help+" ($"+envName+")")
}

func durationVar(fs *flag.FlagSet, p *time.Duration, name, envName string, def time.Duration, help string) {
	fs.DurationVar(p, name, def, help+" ($"+envName+")")
}
