package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Versions and audit live in two buckets: versions keyed kind NUL uvarint(len(id)) id version(8 bytes, big-endian), so
// that a record's versions are adjacent and in order; audit keyed by its sequence number (8 bytes, big-endian).

// versionRec is a stored version: the edit.Version and the content hash of its record ("" for a delete).
type versionRec struct {
	edit.Version
	Hash string `json:"hash,omitempty"`
}

func versionPrefix(kind edit.Kind, id string) []byte {
	k := append([]byte(kind), 0)
	k = binary.AppendUvarint(k, uint64(len(id)))
	return append(k, id...)
}

func versionKey(kind edit.Kind, id string, v int64) []byte {
	return binary.BigEndian.AppendUint64(versionPrefix(kind, id), uint64(v))
}

// head is the latest version of a record: its number (0 when there is none) and content hash ("" after a delete).
type head struct {
	version int64
	hash    string
}

// headOf reads the latest version of kind/id in tx.
func headOf(tx *bolt.Tx, kind edit.Kind, id string) (head, error) {
	prefix := versionPrefix(kind, id)
	c := tx.Bucket(bucketVersions).Cursor()
	k, _ := c.Seek(versionKey(kind, id, math.MaxInt64))
	var v []byte
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return head{}, nil
	}
	if h, ok := tailHead(k[len(prefix):], v); ok {
		return h, nil
	}
	return decodeHead(kind, id, v)
}

// decodeHead reads the head of the stored version val of kind/id by decoding it.
func decodeHead(kind edit.Kind, id string, val []byte) (head, error) {
	var h struct {
		Version int64  `json:"version"`
		Hash    string `json:"hash"`
	}
	if err := json.Unmarshal(val, &h); err != nil {
		return head{}, fmt.Errorf("embedded store: decode version of %s %q: %w", kind, id, err)
	}
	return head{h.Version, h.Hash}, nil
}

// hashMember opens the hash member of a versionRec's JSON, which json.Marshal writes last (after the record).
var hashMember = []byte(`,"hash":"`)

// tailHead reads a version's head without decoding the record before it (which, a polygon's, may be large): the
// number from the key's 8 bytes vkey (versionKey's last, equal to the value's "version"), the hash from the value's
// last member. It is false when the value does not end in a hash member (a delete's version has none); headOf then
// decodes the value.
func tailHead(vkey, val []byte) (head, bool) {
	n := len(val)
	if n < len(hashMember)+2 || val[n-1] != '}' || val[n-2] != '"' {
		return head{}, false
	}
	i := bytes.LastIndex(val[:n-2], hashMember)
	if i < 0 {
		return head{}, false
	}
	hash := val[i+len(hashMember) : n-2]
	if bytes.ContainsAny(hash, `"\`) {
		return head{}, false
	}
	return head{int64(binary.BigEndian.Uint64(vkey)), string(hash)}, true
}

// appendVersion stores version v of kind/id (doc nil or "null" for a delete) and its OK audit entry, in tx.
func appendVersion(tx *bolt.Tx, kind edit.Kind, id string, v int64, before head, doc []byte, hash string,
	meta edit.Meta) error {
	meta, err := putVersion(tx, kind, id, v, doc, hash, meta)
	if err != nil {
		return err
	}
	return appendAudit(tx, auditOK(kind, id, v, before.hash, hash, meta))
}

// putVersion stores version v of kind/id alone (appendVersion adds its audit entry) and returns meta with its time set.
func putVersion(tx *bolt.Tx, kind edit.Kind, id string, v int64, doc []byte, hash string, meta edit.Meta) (edit.Meta, error) {
	if meta.Time.IsZero() {
		meta.Time = now()
	}
	if len(doc) == 0 {
		doc = []byte("null")
	}
	rec := versionRec{Version: edit.Version{Kind: kind, ID: id, Version: v, Meta: meta, Record: doc}, Hash: hash}
	val, err := json.Marshal(rec)
	if err != nil {
		return meta, fmt.Errorf("embedded store: encode version: %w", err)
	}
	return meta, tx.Bucket(bucketVersions).Put(versionKey(kind, id, v), val)
}

// benchMode is what UpdatePlace leaves out, for BenchmarkEditPlace's baselines: benchNoAudit writes the version but
// no audit entry (a no-op audit), benchBare neither version nor audit entry (the bare write of the record).
type benchMode int

const (
	benchFull benchMode = iota
	benchNoAudit
	benchBare
)

// auditOK is the audit entry of a committed write.
func auditOK(kind edit.Kind, id string, v int64, before, after string, meta edit.Meta) edit.AuditEntry {
	status := 200
	if meta.Action == "create" {
		status = 201
	}
	return edit.AuditEntry{Time: meta.Time, Actor: meta.Actor, Role: meta.Role, Action: meta.Action,
		Outcome: edit.OutcomeOK, Status: status, Kind: kind, TargetID: id, Version: v, RequestID: meta.RequestID,
		ClientAddr: meta.ClientAddr, BeforeHash: before, AfterHash: after, Message: cut(meta.Reason, edit.MaxReason)}
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func appendAudit(tx *bolt.Tx, e edit.AuditEntry) error {
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = int64(seq)
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = e.Time.UTC().Truncate(1000)
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("embedded store: encode audit entry: %w", err)
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), val)
}

// History returns every version of a record, oldest first, or an error wrapping apierr.ErrNotFound.
func (s *Store) History(ctx context.Context, kind edit.Kind, id string) ([]edit.Version, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []edit.Version
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := versionPrefix(kind, id)
		c := tx.Bucket(bucketVersions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue
			}
			var r versionRec
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("embedded store: decode version: %w", err)
			}
			out = append(out, r.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q has no history: %w", kind, id, apierr.ErrNotFound)
	}
	return out, nil
}

// Current returns the latest version of a record, or apierr.ErrNotFound when it has none or was deleted.
func (s *Store) Current(ctx context.Context, kind edit.Kind, id string) (edit.Version, error) {
	if err := s.check(ctx); err != nil {
		return edit.Version{}, err
	}
	var out edit.Version
	err := s.db.View(func(tx *bolt.Tx) error {
		h, err := headOf(tx, kind, id)
		if err != nil {
			return err
		}
		if h.version == 0 {
			return fmt.Errorf("%s %q: %w", kind, id, apierr.ErrNotFound)
		}
		var r versionRec
		if err := json.Unmarshal(tx.Bucket(bucketVersions).Get(versionKey(kind, id, h.version)), &r); err != nil {
			return fmt.Errorf("embedded store: decode version: %w", err)
		}
		if r.Deleted() {
			return fmt.Errorf("%s %q was deleted (version %d): %w", kind, id, r.Version.Version, apierr.ErrNotFound)
		}
		out = r.Version
		return nil
	})
	return out, err
}

// AppendAudit appends one entry (Seq and, when zero, Time are set by the store).
func (s *Store) AppendAudit(ctx context.Context, e edit.AuditEntry) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error { return appendAudit(tx, e) })
}

// Audit lists the entries matching q in Seq order, paged (Limit <= 0: no limit).
func (s *Store) Audit(ctx context.Context, q edit.AuditQuery) (edit.AuditPage, error) {
	if err := s.check(ctx); err != nil {
		return edit.AuditPage{}, err
	}
	var page edit.AuditPage
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
			var e edit.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("embedded store: decode audit entry: %w", err)
			}
			if !auditMatch(&q, &e) {
				return nil
			}
			page.NumberMatched++
			if page.NumberMatched > max(q.Offset, 0) && (q.Limit <= 0 || len(page.Items) < q.Limit) {
				page.Items = append(page.Items, e)
			}
			return nil
		})
	})
	return page, err
}

func auditMatch(q *edit.AuditQuery, e *edit.AuditEntry) bool {
	return (q.Actor == "" || e.Actor == q.Actor) && (q.Target == "" || e.TargetID == q.Target) &&
		(q.Since.IsZero() || !e.Time.Before(q.Since)) && (q.Until.IsZero() || e.Time.Before(q.Until))
}

// EachVersion calls fn with every stored version, grouped by record and oldest first within one (data.Store), in one
// read transaction.
func (s *Store) EachVersion(ctx context.Context, fn func(edit.Version) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVersions).ForEach(func(k, v []byte) error {
			var r versionRec
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("embedded store: decode version %q: %w", k, err)
			}
			if err := fn(r.Version); err != nil {
				return err
			}
			return ctx.Err()
		})
	})
}
