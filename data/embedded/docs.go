package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Documents (edit.DocStore) live in bucketDocs keyed kind NUL id, so that a kind's documents are adjacent and in id
// order; the value is the version (8 bytes, big-endian), the write's time (8 bytes, Unix microseconds) and the body.
// Their versions and audit entries are the shared ones (versions.go).

var bucketDocs = []byte("docs")

func docKey(kind edit.Kind, id string) []byte {
	k := make([]byte, 0, len(kind)+1+len(id))
	k = append(append(append(k, kind...), 0), id...)
	return k
}

func encodeDoc(version int64, t time.Time, body []byte) []byte {
	v := make([]byte, 16, 16+len(body))
	binary.BigEndian.PutUint64(v, uint64(version))
	binary.BigEndian.PutUint64(v[8:], uint64(t.UnixMicro()))
	return append(v, body...)
}

func decodeDoc(kind edit.Kind, id string, v []byte) (edit.Doc, error) {
	if len(v) < 16 {
		return edit.Doc{}, fmt.Errorf("embedded store: document %s %q is corrupt (%d bytes)", kind, id, len(v))
	}
	return edit.Doc{Kind: kind, ID: id, Version: int64(binary.BigEndian.Uint64(v)),
		UpdatedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(v[8:]))).UTC(),
		Body:      append([]byte(nil), v[16:]...)}, nil
}

// Doc returns the current document kind/id (edit.DocStore).
func (s *Store) Doc(ctx context.Context, kind edit.Kind, id string) (edit.Doc, error) {
	var d edit.Doc
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get(docKey(kind, id))
		if v == nil {
			return data.NotFound(kind, id)
		}
		var err error
		d, err = decodeDoc(kind, id, v)
		return err
	})
	return d, err
}

// Docs lists the current documents of kind whose id starts with prefix, in id order (edit.DocStore).
func (s *Store) Docs(ctx context.Context, kind edit.Kind, prefix string) ([]edit.Doc, error) {
	out := []edit.Doc{}
	start := docKey(kind, prefix)
	kp := len(kind) + 1
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDocs).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, start); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			d, err := decodeDoc(kind, string(k[kp:]), v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// WriteDocs applies ws in one bbolt transaction (edit.DocStore).
func (s *Store) WriteDocs(ctx context.Context, ws []edit.DocWrite, meta edit.Meta) ([]int64, error) {
	if err := edit.CheckDocWrites(ws); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]int64, len(ws))
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketDocs)
		t := meta.Time
		if t.IsZero() {
			t = now()
		}
		for i, w := range ws {
			key := docKey(w.Kind, w.ID)
			cur := bk.Get(key)
			h, err := headOf(tx, w.Kind, w.ID)
			if err != nil {
				return err
			}
			if err := data.CheckDocWrite(w, cur != nil, h.version); err != nil {
				return fmt.Errorf("writes[%d]: %w", i, err)
			}
			body, err := edit.CompactDoc(w.Body)
			if err != nil && !w.IsDelete() {
				return fmt.Errorf("writes[%d]: %w", i, apierr.Field(fmt.Sprintf("writes[%d].body", i), "%v", err))
			}
			if !w.IsDelete() && cur != nil && data.SameDoc(cur[16:], body) {
				out[i] = h.version
				continue
			}
			m := meta
			m.Time, m.Action = t, edit.DocAction(w, meta, h.version)
			v := h.version + 1
			if w.IsDelete() {
				err = bk.Delete(key)
				if err == nil {
					err = appendVersion(tx, w.Kind, w.ID, v, h, nil, "", m)
				}
			} else {
				err = bk.Put(key, encodeDoc(v, t, body))
				if err == nil {
					err = appendVersion(tx, w.Kind, w.ID, v, h, body, edit.Hash(body), m)
				}
			}
			if err != nil {
				return fmt.Errorf("embedded store: write %s %q: %w", w.Kind, w.ID, err)
			}
			out[i] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ edit.DocStore = (*Store)(nil)
