package embedded

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"civmap/internal/apierr"
)

// Backup writes a consistent copy of the whole store to w while it keeps serving: bbolt's Tx.WriteTo inside one read
// transaction, so the copy is the store as of one moment (writes that commit meanwhile are not in it, and are not
// blocked). The copy is itself a store file (DBFile) that Restore takes. It returns the bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("embedded store: backup: %w", err)
	}
	return n, nil
}

// Restore replaces the store in dir with the backup file src (a Backup). It first checks src: it must open as a
// civmap store of this program's schema. A store already in dir that holds any division or token is kept unless
// force is set (apierr.ErrConflict). A store in use by another process is apierr.ErrStoreBusy: restore never swaps a
// file under a running server. The new file is written beside the old and renamed over it, so a crash leaves one
// or the other whole.
func Restore(src, dir string, force bool, lockTimeout time.Duration) error {
	tmpDir, err := os.MkdirTemp(dirOr(dir), ".restore-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	staged := filepath.Join(tmpDir, DBFile)
	if err := copyFile(src, staged); err != nil {
		return fmt.Errorf("restore: copy %s: %w", src, err)
	}
	check, err := Open(tmpDir, Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("restore: %s is not a civmap store backup: %w", src, err)
	}
	check.Close()

	// Take the target's lock (creating it when absent) to learn whether it is in use and whether it holds data.
	cur, err := Open(dir, Options{Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	empty, err := cur.Empty(context.Background())
	if err == nil && empty {
		var toks int
		toks, err = cur.tokenCount()
		empty = toks == 0
	}
	if err != nil {
		cur.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if !empty && !force {
		cur.Close()
		return fmt.Errorf("restore: the store in %s holds records or tokens; give --force to replace it: %w", dir,
			apierr.ErrConflict)
	}
	// Rename while still holding the lock: no other process can open the old file meanwhile.
	if err := os.Rename(staged, filepath.Join(dir, DBFile)); err != nil {
		cur.Close()
		return fmt.Errorf("restore: %w", err)
	}
	return cur.Close()
}

// tokenCount is the number of API tokens held (revoked ones included).
func (s *Store) tokenCount() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketTokens); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

func dirOr(dir string) string {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return os.TempDir()
	}
	return dir
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
