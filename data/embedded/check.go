package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/internal/edit"
)

// CheckIndexes verifies what bbolt holds beside the records (data.IndexChecker): the place_index entry of every place
// is the binary placeFields of the stored place, with no entry for a place that is not stored; every record of a
// tiled layer has a tile id, ids are unique within their layer and none is above the layer's counter.
func (s *Store) CheckIndexes(ctx context.Context, report func(data.Fault)) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		places, idx := tx.Bucket(bucketPlaces), tx.Bucket(bucketPlaceIdx)
		err := places.ForEach(func(k, v []byte) error {
			n++
			p, err := decodePlace(v)
			if err != nil {
				report(data.Fault{Kind: edit.KindPlace, ID: string(k), Problem: "does not decode: " + err.Error()})
				return nil
			}
			f := fieldsOf(&p)
			switch got := idx.Get(k); {
			case got == nil:
				report(data.Fault{Kind: edit.KindPlace, ID: string(k), Problem: "has no place_index entry"})
			case !bytes.Equal(got, f.appendBinary(nil)):
				report(data.Fault{Kind: edit.KindPlace, ID: string(k), Problem: "its place_index entry differs from the record"})
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
		err = idx.ForEach(func(k, _ []byte) error {
			if places.Get(k) == nil {
				report(data.Fault{Kind: edit.KindPlace, ID: string(k), Problem: "has a place_index entry but no record"})
			}
			return nil
		})
		if err != nil {
			return err
		}
		root, meta := tx.Bucket(bucketTileIDs), tx.Bucket(bucketMeta)
		for _, l := range tileIDLayers {
			ids := root.Bucket([]byte(l.layer))
			var last uint64
			if v := meta.Get(lastKey(l.layer)); len(v) == 8 {
				last = binary.BigEndian.Uint64(v)
			}
			seen := map[uint64]string{}
			err := ids.ForEach(func(k, v []byte) error {
				n++
				if len(v) != 8 {
					report(data.Fault{Kind: edit.Kind(l.layer), ID: string(k), Problem: fmt.Sprintf("tile id of %d bytes", len(v))})
					return nil
				}
				id := binary.BigEndian.Uint64(v)
				if other, dup := seen[id]; dup {
					report(data.Fault{Kind: edit.Kind(l.layer), ID: string(k), Problem: fmt.Sprintf("tile id %d is also %q's", id, other)})
				}
				if id == 0 || id > last {
					report(data.Fault{Kind: edit.Kind(l.layer), ID: string(k), Problem: fmt.Sprintf("tile id %d outside 1…%d (the layer's counter)", id, last)})
				}
				seen[id] = string(k)
				return nil
			})
			if err != nil {
				return err
			}
			err = tx.Bucket(l.bucket).ForEach(func(k, _ []byte) error {
				if ids.Get(k) == nil {
					report(data.Fault{Kind: edit.Kind(l.layer), ID: string(k), Problem: "has no tile id"})
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

var _ data.IndexChecker = (*Store)(nil)
