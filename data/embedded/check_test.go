package embedded

import (
	"context"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/data/sample"
	"civmap/internal/edit"
)

// Planted faults in the bbolt file are each reported by data.CheckStore, and a sound sample store has none: a lost
// version (a gap and an audit entry naming a missing version), a stale place_index entry, an index entry without a
// place, a record without its tile id, a document whose version disagrees with its history.
func TestCheckStorePlantedFaults(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := sample.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDocs(ctx, []edit.DocWrite{{Kind: "plans", ID: "p", Body: []byte(`{"a":1}`)}}, edit.Meta{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDocs(ctx, []edit.DocWrite{{Kind: "plans", ID: "p", Body: []byte(`{"a":2}`), ExpectVersion: 1}}, edit.Meta{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	check := func() []string {
		var out []string
		if _, err := data.CheckStore(ctx, s, func(f data.Fault) { out = append(out, f.String()) }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if f := check(); len(f) != 0 {
		t.Fatalf("sound sample store: %v", f)
	}
	var placeID, facilityID string
	err = s.db.Update(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketPlaces).Cursor().First()
		placeID = string(k)
		if err := tx.Bucket(bucketPlaceIdx).Put(k, []byte{0, 0, 0, 0, 0}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPlaceIdx).Put([]byte("ghost"), []byte{0}); err != nil {
			return err
		}
		k, _ = tx.Bucket(bucketFacilities).Cursor().First()
		facilityID = string(k)
		if err := tx.Bucket(bucketTileIDs).Bucket([]byte("facilities")).Delete(k); err != nil {
			return err
		}
		// Lose version 1 of the plan: a gap at the start and an audit entry naming it.
		return tx.Bucket(bucketVersions).Delete(versionKey("plans", "p", 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(check(), "\n")
	for _, want := range []string{
		`places "` + placeID + `": its place_index entry differs from the record`,
		`places "ghost": has a place_index entry but no record`,
		`facilities "` + facilityID + `": has no tile id`,
		`plans "p": version 1 of the history is numbered 2`,
		`plans "p": the audit log names version 2, which the history (1 versions) lacks`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckStore faults lack %q; got:\n%s", want, got)
		}
	}
}
