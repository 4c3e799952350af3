package embedded

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civmap/data/sample"
	"civmap/internal/edit"
)

// storedTileIDs reads every layer's stored ids and counters.
func storedTileIDs(t *testing.T, s *Store) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		r := readTileIDs(tx)
		for _, l := range tileIDLayers {
			if err := tx.Bucket(l.bucket).ForEach(func(k, _ []byte) error {
				out[l.layer+"/"+string(k)] = r.get(l.layer, string(k))
				return nil
			}); err != nil {
				return err
			}
			if v := tx.Bucket(bucketMeta).Get(lastKey(l.layer)); len(v) == 8 {
				out["last/"+l.layer] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpgradeTileIDs: a schema 1 store (no tile ids) opened by this version gets the ids a first import allocates —
// 1, 2, … per layer in key order, divisions 1, 3, 5, … — the same numbering as PostGIS migration 00003.
func TestUpgradeTileIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	want := storedTileIDs(t, s)
	if want["divisions/330225"] != 1 || want["last/places"] != uint64(len(b.Places)) ||
		want["last/divisions"] != 2*uint64(len(b.Divisions)) || len(want) < len(b.Places)+len(b.Divisions) {
		t.Fatalf("first import: county %d, counters %d %d", want["divisions/330225"], want["last/places"],
			want["last/divisions"])
	}
	s.Close()

	// Back to schema 1: no tile_ids bucket, no counters.
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketTileIDs); err != nil {
			return err
		}
		for _, l := range tileIDLayers {
			if err := tx.Bucket(bucketMeta).Delete(lastKey(l.layer)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := storedTileIDs(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("upgraded ids differ from a first import's: %d vs %d entries", len(got), len(want))
	}
}
