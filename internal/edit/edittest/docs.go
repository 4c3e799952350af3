// Package edittest holds test doubles of internal/edit's interfaces, for the packages built on them to test against
// without a store.
package edittest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Docs is an in-memory edit.DocStore that keeps the interface's contract with the rules both stores apply: batches
// checked by edit.CheckDocWrites and applied all or nothing, each write under data.CheckDocWrite's version rule;
// bodies kept compacted (edit.CompactDoc), an identical body a no-op that keeps the version (data.SameDoc); a delete
// bumps the version, and numbering goes on from there. It keeps no history or audit: Batches lists the meta of each batch
// that wrote something. It is safe for concurrent use.
type Docs struct {
	mu      sync.Mutex
	docs    map[docKey]edit.Doc // deleted documents stay, with a nil body, to keep their version
	batches []edit.Meta
}

type docKey struct {
	kind edit.Kind
	id   string
}

// NewDocs returns an empty Docs.
func NewDocs() *Docs { return &Docs{docs: map[docKey]edit.Doc{}} }

// Doc returns the current document kind/id, or an error wrapping apierr.ErrNotFound.
func (s *Docs) Doc(_ context.Context, kind edit.Kind, id string) (edit.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[docKey{kind, id}]
	if !ok || d.Body == nil {
		return edit.Doc{}, fmt.Errorf("%s %q: %w", kind, id, apierr.ErrNotFound)
	}
	return d, nil
}

// Docs lists the current documents of kind whose id starts with prefix, by id in byte order.
func (s *Docs) Docs(_ context.Context, kind edit.Kind, prefix string) ([]edit.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []edit.Doc
	for k, d := range s.docs {
		if k.kind == kind && strings.HasPrefix(k.id, prefix) && d.Body != nil {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b edit.Doc) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// WriteDocs applies ws in one step and returns each document's version after it.
func (s *Docs) WriteDocs(_ context.Context, ws []edit.DocWrite, meta edit.Meta) ([]int64, error) {
	if err := edit.CheckDocWrites(ws); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[docKey]edit.Doc{}
	vs := make([]int64, len(ws))
	for i, w := range ws {
		k := docKey{w.Kind, w.ID}
		cur := s.docs[k] // a batch names a document once (CheckDocWrites)
		if err := data.CheckDocWrite(w, cur.Body != nil, cur.Version); err != nil {
			return nil, fmt.Errorf("writes[%d]: %w", i, err)
		}
		var body []byte
		if !w.IsDelete() {
			var err error
			if body, err = edit.CompactDoc(w.Body); err != nil {
				return nil, apierr.Field(fmt.Sprintf("writes[%d].body", i), "%v", err)
			}
			if data.SameDoc(cur.Body, body) {
				vs[i] = cur.Version
				continue
			}
		}
		next[k] = edit.Doc{Kind: w.Kind, ID: w.ID, Version: cur.Version + 1, Body: body, UpdatedAt: time.Now().UTC()}
		vs[i] = cur.Version + 1
	}
	for k, d := range next {
		s.docs[k] = d
	}
	if len(next) > 0 {
		s.batches = append(s.batches, meta)
	}
	return vs, nil
}

// Batches returns the meta of every WriteDocs call that wrote something, in order.
func (s *Docs) Batches() []edit.Meta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}
