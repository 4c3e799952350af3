package embedded

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civmap/tiles"
)

// Tile ids (the MVT feature ids, tiles.Feature.ID) are allocated by the store when a record is first written and kept
// with it: bucket tile_ids holds one bucket per layer, record key → 8-byte big-endian id, and the meta bucket holds
// each layer's last allocated id under "tile_id_last:<layer>". Ids count up from 1 in the order records are first
// written (within one import, in key order); a division takes two (odd for its polygon, the next for its label point,
// tiles.LabelID). PostGIS allocates them the same way (migration 00003), so one history of writes gives the same ids
// on both stores. Records are never erased, so an id is never reused.

var bucketTileIDs = []byte("tile_ids")

// tileIDLayer ties a layer to the bucket of its records and the number of ids one record takes.
type tileIDLayer struct {
	layer  string
	bucket []byte
	step   uint64
}

// tileIDLayers lists the layers in the order the upgrade and PostGIS's migration 00003 number them.
var tileIDLayers = []tileIDLayer{
	{"divisions", bucketDivisions, 2}, {"places", bucketPlaces, 1}, {"boundary_lines", bucketLines, 1},
	{"markers", bucketMarkers, 1}, {"facilities", bucketFacilities, 1}, {"demand", bucketDemand, 1},
}

func tileIDStep(layer string) uint64 {
	for _, l := range tileIDLayers {
		if l.layer == layer {
			return l.step
		}
	}
	return 1
}

func lastKey(layer string) []byte { return []byte("tile_id_last:" + layer) }

// createTileIDBuckets makes the per-layer buckets (Open, in its init transaction).
func createTileIDBuckets(tx *bolt.Tx) error {
	root, err := tx.CreateBucketIfNotExists(bucketTileIDs)
	if err != nil {
		return err
	}
	for _, l := range tileIDLayers {
		if _, err := root.CreateBucketIfNotExists([]byte(l.layer)); err != nil {
			return err
		}
	}
	return nil
}

// tileIDs allocates the tile ids of one write transaction; flush stores the counters before the commit.
type tileIDs struct {
	tx   *bolt.Tx
	last map[string]uint64
}

func newTileIDs(tx *bolt.Tx) *tileIDs { return &tileIDs{tx: tx, last: map[string]uint64{}} }

// ensure returns the tile id of the record key of layer, allocating the next one if it has none.
func (a *tileIDs) ensure(layer, key string) (uint64, error) {
	b := a.tx.Bucket(bucketTileIDs).Bucket([]byte(layer))
	if v := b.Get([]byte(key)); len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	last, ok := a.last[layer]
	if !ok {
		if v := a.tx.Bucket(bucketMeta).Get(lastKey(layer)); len(v) == 8 {
			last = binary.BigEndian.Uint64(v)
		}
	}
	id := last + 1
	last += tileIDStep(layer)
	if last > tiles.MaxTileID {
		return 0, fmt.Errorf("layer %s: tile ids exhausted", layer)
	}
	a.last[layer] = last
	return id, b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, id))
}

// flush writes the counters that ensure advanced.
func (a *tileIDs) flush() error {
	for layer, last := range a.last {
		if err := a.tx.Bucket(bucketMeta).Put(lastKey(layer), binary.BigEndian.AppendUint64(nil, last)); err != nil {
			return err
		}
	}
	return nil
}

// ensureTileID gives the record key of layer a tile id if it has none, in its own allocator (single-record writes).
func ensureTileID(tx *bolt.Tx, layer, key string) error {
	a := newTileIDs(tx)
	if _, err := a.ensure(layer, key); err != nil {
		return err
	}
	return a.flush()
}

// tileIDReader reads stored tile ids in a read transaction.
type tileIDReader struct{ root *bolt.Bucket }

func readTileIDs(tx *bolt.Tx) tileIDReader { return tileIDReader{tx.Bucket(bucketTileIDs)} }

// get returns the tile id of the record key of layer, 0 if it has none (never for a committed record).
func (r tileIDReader) get(layer, key string) uint64 {
	if v := r.root.Bucket([]byte(layer)).Get([]byte(key)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// upgradeTileIDs is the schema 1 → 2 upgrade: every stored record gets a tile id, layer by layer in tileIDLayers'
// order and within a layer in key order, as migration 00003 numbers PostGIS rows, so the same data gets the same ids.
func upgradeTileIDs(tx *bolt.Tx) error {
	a := newTileIDs(tx)
	for _, l := range tileIDLayers {
		err := tx.Bucket(l.bucket).ForEach(func(k, _ []byte) error {
			_, err := a.ensure(l.layer, string(k))
			return err
		})
		if err != nil {
			return fmt.Errorf("tile ids of %s: %w", l.layer, err)
		}
	}
	return a.flush()
}
