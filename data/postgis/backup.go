package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"

	"civmap/internal/apierr"
)

// Backup writes the database at url to the file out with `pg_dump --format=custom` (PostgreSQL's own consistent
// snapshot: one repeatable-read transaction, so it is hot and never blocks writers). pg_dump must be on PATH
// (Debian postgresql-client); its error output is returned when it fails.
func Backup(ctx context.Context, url, out string) error {
	return run(ctx, "pg_dump", "--format=custom", "--no-owner", "--file="+out, "--dbname="+url)
}

// Restore loads the pg_dump file src into the database at url with pg_restore (--clean --if-exists, one transaction:
// a failed restore changes nothing). A database whose civmap tables hold any division or token is kept unless force is
// set (apierr.ErrConflict).
func Restore(ctx context.Context, url, src string, force bool) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("restore: connect: %w", err)
	}
	var n int64
	err = conn.QueryRow(ctx, `SELECT coalesce((SELECT count(*) FROM divisions WHERE to_regclass('divisions') IS NOT NULL), 0)`).Scan(&n)
	if err != nil {
		// No divisions table: a database without civmap's schema, empty as far as civmap is concerned.
		n = 0
	}
	var toks int64
	if n == 0 && conn.QueryRow(ctx, `SELECT count(*) FROM tokens`).Scan(&toks) == nil {
		n = toks
	}
	conn.Close(ctx)
	if n > 0 && !force {
		return fmt.Errorf("restore: the database holds records or tokens; give --force to replace it: %w", apierr.ErrConflict)
	}
	return run(ctx, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
		"--dbname="+url, src)
}

func run(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed (Debian package postgresql-client): %w", name, err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s failed: %s", name, strings.TrimSpace(stderr.String()))
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
