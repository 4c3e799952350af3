package embedded

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civmap/data"
	"civmap/internal/edit"
)

// upgradeV1 moves a schema-1 file's place history into the versions bucket and gives every record that has no
// version one (actor "system", action "migrate"): a place its old versions and its current one, any other record
// version 1 (a facility its stored Version). The moved history is then deleted from place_history.
func upgradeV1(tx *bolt.Tx) error {
	meta := func(action string) edit.Meta {
		return edit.Meta{Actor: "system", Action: action, Reason: "schema 2: versions of every record", Time: now()}
	}
	hist := tx.Bucket(bucketHistory)
	var done [][]byte
	err := hist.ForEach(func(k, v []byte) error {
		p, err := decodePlace(v)
		if err != nil {
			return err
		}
		if err := migrateVersion(tx, edit.KindPlace, p.ID, p.Version, &p, meta("migrate")); err != nil {
			return err
		}
		done = append(done, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range done {
		if err := hist.Delete(k); err != nil {
			return err
		}
	}
	steps := []struct {
		kind   edit.Kind
		bucket []byte
		decode func([]byte) (any, string, int64, error)
	}{
		{edit.KindDivision, bucketDivisions, func(v []byte) (any, string, int64, error) {
			d, err := decodeDivision(v)
			return &d, d.Code, 1, err
		}},
		{edit.KindPlace, bucketPlaces, func(v []byte) (any, string, int64, error) {
			p, err := decodePlace(v)
			return &p, p.ID, p.Version, err
		}},
		{edit.KindLine, bucketLines, func(v []byte) (any, string, int64, error) {
			l, err := decodeLine(v)
			return &l, l.ID, 1, err
		}},
		{edit.KindMarker, bucketMarkers, func(v []byte) (any, string, int64, error) {
			m, err := decodeMarker(v)
			return &m, m.Number, 1, err
		}},
		{edit.KindFacility, bucketFacilities, func(v []byte) (any, string, int64, error) {
			f, err := decodeFacility(v)
			return &f, f.ID, max(f.Version, 1), err
		}},
		{edit.KindDemand, bucketDemand, func(v []byte) (any, string, int64, error) {
			d, err := decodeDemand(v)
			return &d, d.Code, 1, err
		}},
	}
	for _, st := range steps {
		err := tx.Bucket(st.bucket).ForEach(func(_, v []byte) error {
			rec, id, ver, err := st.decode(v)
			if err != nil {
				return err
			}
			return migrateVersion(tx, st.kind, id, ver, rec, meta("migrate"))
		})
		if err != nil {
			return fmt.Errorf("%s: %w", st.kind, err)
		}
	}
	return nil
}

// migrateVersion stores rec as version v of kind/id unless that version exists.
func migrateVersion(tx *bolt.Tx, kind edit.Kind, id string, v int64, rec any, meta edit.Meta) error {
	if tx.Bucket(bucketVersions).Get(versionKey(kind, id, v)) != nil {
		return nil
	}
	doc, hash, err := data.DocumentAndHash(rec)
	if err != nil {
		return err
	}
	h, err := headOf(tx, kind, id)
	if err != nil {
		return err
	}
	return appendVersion(tx, kind, id, v, h, doc, hash, meta)
}
