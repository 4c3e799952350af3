package embedded

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"civmap/internal/edit"
)

// headOf's shortcut (tailHead) reads the same head as decoding the version, for a version with a hash, a delete's
// version (no hash) and a record that itself has a "hash" property; and it really is taken for the first.
func TestHeadOfShortcut(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		id       string
		v        int64
		doc      []byte
		hash     string
		shortcut bool
	}{
		{"p1", 3, []byte(`{"type":"Feature","properties":{"name":"丹城"},"geometry":null}`), edit.Hash([]byte("a")), true},
		{"p2", 2, nil, "", false},
		{"p3", 7, []byte(`{"type":"Feature","properties":{"hash":"x"},"geometry":null}`), "", false},
		{"p4", 1, []byte(`{"type":"Feature","properties":{"hash":"x"}}`), edit.Hash([]byte("b")), true},
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, c := range cases {
			if _, err := putVersion(tx, edit.KindPlace, c.id, c.v, c.doc, c.hash, edit.Meta{Actor: "t", Action: "update"}); err != nil {
				return err
			}
			got, err := headOf(tx, edit.KindPlace, c.id)
			if err != nil {
				return err
			}
			val := tx.Bucket(bucketVersions).Get(versionKey(edit.KindPlace, c.id, c.v))
			want, err := decodeHead(edit.KindPlace, c.id, val)
			if err != nil {
				return err
			}
			if got != want || want != (head{c.v, c.hash}) {
				t.Errorf("%s: headOf %+v, decoded %+v; want %+v", c.id, got, want, head{c.v, c.hash})
			}
			if _, ok := tailHead(versionKey(edit.KindPlace, c.id, c.v)[len(versionPrefix(edit.KindPlace, c.id)):], val); ok != c.shortcut {
				t.Errorf("%s: shortcut taken %v, want %v", c.id, ok, c.shortcut)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
