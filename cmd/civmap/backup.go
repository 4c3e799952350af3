package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"civmap/data/embedded"
	"civmap/data/postgis"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// hotBackup is a store that can copy itself while serving (the embedded store: bbolt Tx.WriteTo).
type hotBackup interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// backupRoutes registers GET /api/backup (role admin): the embedded store's consistent hot copy, streamed. On PostGIS
// it answers 501 naming `civmap backup --database-url` (pg_dump), which needs no server.
func backupRoutes(r *mux.Router, st any) {
	r.Handle("/api/backup", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := edit.Require(r.Context(), edit.RoleAdmin); err != nil {
			return err
		}
		hb, ok := st.(hotBackup)
		if !ok {
			return httpx.WithStatus(http.StatusNotImplemented, errors.New("this server's store is PostGIS: back it up "+
				"with `civmap backup --database-url URL --out FILE` (pg_dump), which needs no server"))
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="civmap-`+time.Now().UTC().Format("20060102T150405Z")+`.db"`)
		_, err := hb.Backup(r.Context(), w)
		return err
	})).Methods(http.MethodGet)
}

// cmdBackup writes a backup of the store to --out. PostGIS: pg_dump --format=custom of the database. Embedded: a
// consistent copy (bbolt Tx.WriteTo); when `civmap serve` holds the store, give --server URL and an admin token in
// CIVMAP_TOKEN, and the running server streams its hot copy (GET /api/backup). The file is written beside --out and
// renamed into place once complete.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("backup", "backup --out FILE [--data-dir DIR | --database-url URL | --server URL]", stderr)
	var out, server string
	stringVar(fs, &out, "out", "CIVMAP_BACKUP_OUT", "", "file to write the backup to")
	stringVar(fs, &server, "server", "CIVMAP_SERVER", "", "embedded store held by a running civmap serve: its base URL (token in $CIVMAP_TOKEN, role admin)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("--out FILE is required: %w", errUsage)
	}
	tmp := out + ".partial"
	defer os.Remove(tmp)
	var how string
	switch {
	case sf.databaseURL != "":
		if err := postgis.Backup(ctx, sf.databaseURL, tmp); err != nil {
			return err
		}
		how = "pg_dump --format=custom (restore with civmap restore --database-url URL FILE, or pg_restore)"
	case server != "":
		if err := fetchBackup(ctx, server, os.Getenv("CIVMAP_TOKEN"), tmp); err != nil {
			return err
		}
		how = "the embedded store's hot copy from " + server
	default:
		st, err := embedded.Open(sf.dataDir, embedded.Options{ReadOnly: true, Timeout: sf.lockTimeout})
		if errors.Is(err, apierr.ErrStoreBusy) {
			return fmt.Errorf("%w; to back up a store that civmap serve holds, give --server http://HOST:PORT and an "+
				"admin token in CIVMAP_TOKEN", err)
		}
		if err != nil {
			return err
		}
		err = writeFileSync(tmp, func(w io.Writer) error { _, err := st.Backup(ctx, w); return err })
		st.Close()
		if err != nil {
			return err
		}
		how = "a consistent copy of the embedded store"
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	info, _ := os.Stat(out)
	fmt.Fprintf(stdout, "backup written to %s (%d bytes): %s\n", out, info.Size(), how)
	return nil
}

func fetchBackup(ctx context.Context, server, token, path string) error {
	if token == "" {
		return errors.New("--server needs an admin token in CIVMAP_TOKEN")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/api/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET %s/api/backup: %s: %s", server, resp.Status, strings.TrimSpace(string(b)))
	}
	return writeFileSync(path, func(w io.Writer) error { _, err := io.Copy(w, resp.Body); return err })
}

func writeFileSync(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cmdRestore replaces the store with a backup: embedded.Restore or postgis.Restore. A store that holds records or
// tokens is kept unless --force; a store in use by civmap serve is refused.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("restore", "restore [--force] [--data-dir DIR | --database-url URL] FILE", stderr)
	var force bool
	boolVar(fs, &force, "force", "CIVMAP_RESTORE_FORCE", "replace a store that holds records or tokens")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("give one backup FILE: %w", errUsage)
	}
	src, _ := filepath.Abs(pos[0])
	if sf.databaseURL != "" {
		err = postgis.Restore(ctx, sf.databaseURL, src, force)
	} else {
		err = embedded.Restore(src, sf.dataDir, force, sf.lockTimeout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s\n", src)
	return nil
}
