// Package embedded is the store that needs nothing installed: one bbolt file (civmap.db) in a data directory, records
// as JSON, and in-memory indexes (tidwall/rtree R-trees, prepared township polygons, search text) rebuilt at Open.
//
// Every write is one bbolt transaction, synced to disk before it returns; the in-memory indexes change only after the
// transaction has committed, so a failed write leaves neither the file nor the indexes touched. Reads are safe for
// concurrent use with writes. One process at a time may open a data directory (bbolt's file lock).
package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"civmap/data"
	"civmap/internal/apierr"
)

// File names inside the data directory.
const (
	DBFile       = "civmap.db"
	LockInfoFile = "civmap.lock-info"
)

// schemaVersion 2 added the tile ids (tileids.go) and the versions and audit buckets; Open upgrades a version-1 file
// (upgradeTileIDs, upgradeV1).
const schemaVersion = "2"

var (
	bucketMeta       = []byte("meta")
	bucketDivisions  = []byte("divisions")
	bucketPlaces     = []byte("places")
	bucketHistory    = []byte("place_history") // schema 1: old place versions, moved to versions by upgradeV1
	bucketPlaceIdx   = []byte("place_index")   // placeFields of each current place, binary, keyed by ID
	bucketLines      = []byte("lines")
	bucketMarkers    = []byte("markers") // keyed by marker number
	bucketFacilities = []byte("facilities")
	bucketDemand     = []byte("demand")
	bucketVersions   = []byte("versions") // every version of every record (versions.go)
	bucketAudit      = []byte("audit")    // the append-only audit log
	allBuckets       = [][]byte{bucketMeta, bucketDivisions, bucketPlaces, bucketHistory, bucketPlaceIdx, bucketLines,
		bucketMarkers, bucketFacilities, bucketDemand, bucketVersions, bucketAudit, bucketDocs}
)

// Options configure Open.
type Options struct {
	// Timeout is how long Open waits for another process to release the file lock before failing with
	// apierr.ErrStoreBusy; 0 means 1 s.
	Timeout time.Duration
	// ReadOnly opens an existing store without writing anything (no directory or file is created, no schema upgrade,
	// no lock file; bbolt's shared read-only lock, so a server holding the store makes Open fail with
	// apierr.ErrStoreBusy): for a dry run. A missing store or one that needs an upgrade is an error saying so.
	ReadOnly bool
}

// Store is the embedded store. It implements data.Store.
type Store struct {
	dir string
	db  *bolt.DB

	// wmu serialises writers so that index updates are applied in commit order.
	wmu sync.Mutex
	// mu guards places and facs: readers RLock, writers Lock only to apply a committed change.
	mu     sync.RWMutex
	places *placeIndex
	facs   *facilityIndex
	// divs is replaced whole after a write that touches divisions; Locate loads it without taking mu.
	divs atomic.Pointer[divIndex]

	// tiles holds tiles.Notifier's subscribers and the decoded small tile layers (tiles.go).
	tiles tileState

	closed   atomic.Bool
	readOnly bool // Options.ReadOnly: no lock info of its own to remove

	// bench is set only by BenchmarkEditPlace, to measure UpdatePlace without its audit entry or without its version
	// (see benchMode); it is zero, everything recorded, everywhere else.
	bench benchMode
}

var _ data.Store = (*Store)(nil)

// Open opens (creating if needed, with mode 0700) the data directory dir and its store file, and builds the in-memory
// indexes from it. If another process holds the store, Open fails within opts.Timeout with an error wrapping
// apierr.ErrStoreBusy that names the holder's PID and command line.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	path := filepath.Join(dir, DBFile)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("embedded store: no store at %s (%w): opened read-only, nothing is created", path, err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create data directory: %w", err)
	}
	bopts := &bolt.Options{
		Timeout:      opts.Timeout,
		FreelistType: bolt.FreelistMapType, // O(1) page allocation in large files
		ReadOnly:     opts.ReadOnly,
	}
	if strconv.IntSize == 64 && runtime.GOOS != "windows" {
		// Reserve address space (not memory, and the file does not grow): every remap as the file grows copies all the
		// nodes that a large import has touched to the heap, which made a 1M-place import quadratic-ish.
		bopts.InitialMmapSize = 8 << 30
	}
	db, err := bolt.Open(path, 0o600, bopts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded store %s: %w: held by %s", path, apierr.ErrStoreBusy, readLockInfo(dir))
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	s := &Store{dir: dir, db: db, readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		if err := s.initReadOnly(); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	if err := writeLockInfo(dir); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// initReadOnly checks that the store is complete and current (what init would have to write it refuses), then builds
// the indexes.
func (s *Store) initReadOnly() error {
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("the store was never initialised")
		}
		if v := meta.Get([]byte("schema")); string(v) != schemaVersion {
			return fmt.Errorf("store schema %q, this program writes %q: open it once read-write (civmap serve or a "+
				"real import) to upgrade it", v, schemaVersion)
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %q missing: open it once read-write to complete it", name)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded store (read-only): %w", err)
	}
	return s.loadIndexes()
}

func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if err := createTileIDBuckets(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil:
			return meta.Put([]byte("schema"), []byte(schemaVersion))
		case string(v) == "1":
			if err := upgradeTileIDs(tx); err != nil {
				return fmt.Errorf("upgrade to schema %s: %w", schemaVersion, err)
			}
			if err := upgradeV1(tx); err != nil {
				return fmt.Errorf("upgrade from schema 1: %w", err)
			}
			return meta.Put([]byte("schema"), []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("store schema %q, this program reads %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded store: init: %w", err)
	}
	return s.loadIndexes()
}

// loadIndexes reads every record once and builds the in-memory indexes.
func (s *Store) loadIndexes() error {
	places, facs := newPlaceIndex(), newFacilityIndex()
	var divs []*divEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketDivisions).ForEach(func(_, v []byte) error {
			d, err := decodeDivision(v)
			if err != nil {
				return err
			}
			divs = append(divs, newDivEntry(&d))
			return nil
		})
		if err != nil {
			return err
		}
		// Keys come in byte order, so appending keeps places.sorted sorted.
		places.sorted = make([]*placeEntry, 0, tx.Bucket(bucketPlaceIdx).Stats().KeyN)
		err = tx.Bucket(bucketPlaceIdx).ForEach(func(k, v []byte) error {
			f, err := parsePlaceFields(v, places.strs)
			if err != nil {
				return fmt.Errorf("place %q: %w", k, err)
			}
			places.appendLoaded(string(k), f)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketFacilities).ForEach(func(_, v []byte) error {
			f, err := decodeFacility(v)
			if err != nil {
				return err
			}
			facs.put(&f)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("embedded store: build indexes: %w", err)
	}
	s.places, s.facs = places, facs
	s.divs.Store(buildDivIndex(nil, divs))
	return nil
}

// Close releases the store and its file lock. It is safe to call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Remove the lock info while still holding the lock, so it never describes the next holder.
	if !s.readOnly {
		removeLockInfo(s.dir)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded store: close: %w", err)
	}
	return nil
}

var errClosed = errors.New("embedded store: closed")

// Ready reports nil once the store is open and its indexes are built (which Open does before it returns).
func (s *Store) Ready(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// Empty reports whether the store holds no divisions.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	return len(s.divs.Load().codes) == 0, nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// now is the time the store stamps on records: UTC, microsecond precision (what PostgreSQL keeps).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// writeLockInfo records who holds the store, for the error that another process's Open gives. The file is written
// whole and renamed into place so that a reader never sees half of it.
func writeLockInfo(dir string) error {
	cmd, err := os.ReadFile("/proc/self/cmdline")
	line := strings.Join(os.Args, " ")
	if err == nil && len(cmd) > 0 {
		line = strings.Join(strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00"), " ")
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d\nhost %s\nsince %s\ncmd %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), line)
	tmp := filepath.Join(dir, LockInfoFile+".tmp"+strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(tmp, []byte(info), 0o600); err != nil {
		return fmt.Errorf("embedded store: write lock info: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, LockInfoFile)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("embedded store: write lock info: %w", err)
	}
	return nil
}

// readLockInfo describes the holder of the store from the lock info file, e.g. "pid 4242 (civmap serve) on host x".
func readLockInfo(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, LockInfoFile))
	if err != nil {
		return "another process (no " + LockInfoFile + ")"
	}
	fields := map[string]string{}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if k, v, ok := strings.Cut(string(l), " "); ok {
			fields[k] = v
		}
	}
	out := "pid " + fields["pid"]
	if fields["cmd"] != "" {
		out += " (" + fields["cmd"] + ")"
	}
	if fields["host"] != "" {
		out += " on host " + fields["host"]
	}
	if fields["since"] != "" {
		out += " since " + fields["since"]
	}
	return out
}

func removeLockInfo(dir string) {
	_ = os.Remove(filepath.Join(dir, LockInfoFile))
}
