package embedded

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/rtree"
	bolt "go.etcd.io/bbolt"

	"civmap/internal/apierr"
)

// getRecord returns the decoded record key of bucket; a missing one is an error "<kind> "<key>"" wrapping
// apierr.ErrNotFound.
func getRecord[T any](s *Store, ctx context.Context, bucket []byte, kind, key string,
	decode func([]byte) (T, error)) (T, error) {
	var rec T
	if err := s.check(ctx); err != nil {
		return rec, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%s %q: %w", kind, key, apierr.ErrNotFound)
		}
		var err error
		rec, err = decode(v)
		return err
	})
	return rec, err
}

// readKeys decodes the records of keys in bucket, in that order and in one read transaction, and calls each with
// them. A key with no record (removed by a write that committed after the index was read) is skipped. A non-nil ctx
// is checked every 1024 keys.
func readKeys[T any](ctx context.Context, db *bolt.DB, bucket []byte, keys []string, decode func([]byte) (T, error),
	each func(T)) error {
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for i, k := range keys {
			if ctx != nil && i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := b.Get([]byte(k))
			if v == nil {
				continue
			}
			rec, err := decode(v)
			if err != nil {
				return err
			}
			each(rec)
		}
		return nil
	})
}

// readSorted is readKeys for keys in ascending byte order (an index's run, as a page is): one cursor steps from key
// to key, seeking afresh only past a gap of more than a few records, instead of a search from the root per key.
func readSorted[T any](ctx context.Context, db *bolt.DB, bucket []byte, keys []string, decode func([]byte) (T, error),
	each func(T)) error {
	return db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		var k, v []byte
		for i, key := range keys {
			if ctx != nil && i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			kb := []byte(key)
			if i > 0 { // step on from the previous key
				for steps := 0; k != nil && bytes.Compare(k, kb) < 0 && steps < 8; steps++ {
					k, v = c.Next()
				}
			}
			if i == 0 || k != nil && bytes.Compare(k, kb) < 0 {
				k, v = c.Seek(kb)
			}
			// k == nil: past the last record, so key and every later one (greater) are not stored.
			if k == nil || !bytes.Equal(k, kb) {
				continue // not stored (the cursor stays on the next key, which a later one may be)
			}
			rec, err := decode(v)
			if err != nil {
				return err
			}
			each(rec)
		}
		return nil
	})
}

// forEach decodes every record of bucket in key order and calls each with it, stopping at the first decoding error.
func forEach[T any](tx *bolt.Tx, bucket []byte, decode func([]byte) (T, error), each func(T)) error {
	return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
		rec, err := decode(v)
		if err == nil {
			each(rec)
		}
		return err
	})
}

// eachStored calls each with the stored record, if there is one, of every record in recs (key gives its key).
func eachStored[T any](tx *bolt.Tx, bucket []byte, recs []T, key func(*T) string, decode func([]byte) (T, error),
	each func(T)) error {
	b := tx.Bucket(bucket)
	for i := range recs {
		if v := b.Get([]byte(key(&recs[i]))); v != nil {
			old, err := decode(v)
			if err != nil {
				return err
			}
			each(old)
		}
	}
	return nil
}

// searchSorted returns the entries of tree whose box meets [min, max] (edges included), ordered by id.
func searchSorted[E any](tree *rtree.RTreeG[E], min, max [2]float64, id func(E) string) []E {
	var out []E
	tree.Search(min, max, func(_, _ [2]float64, e E) bool {
		out = append(out, e)
		return true
	})
	slices.SortFunc(out, func(a, b E) int { return strings.Compare(id(a), id(b)) })
	return out
}

// each calls f with every element of xs.
func each[T any](xs []T, f func(T)) {
	for _, x := range xs {
		f(x)
	}
}

func placeID(e *placeEntry) string       { return e.id }
func facilityID(e *facilityEntry) string { return e.id }
