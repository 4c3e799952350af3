package search

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Index is an immutable index of docs of every kind.
type Index struct {
	syl  Syllabler
	segs map[Kind]*segment
}

// NewIndex indexes docs (grouped by their Kind), reading Han characters with syl. It takes ownership of docs. A kind
// with more than MaxDocs docs is an error.
func NewIndex(syl Syllabler, docs []Doc) (*Index, error) {
	n := map[Kind]int{}
	for i := range docs {
		n[docs[i].Kind]++
	}
	by := map[Kind][]Doc{}
	for k, c := range n {
		by[k] = make([]Doc, 0, c) // sized first: a million docs copied while growing cost more than counting them
	}
	for _, d := range docs {
		by[d.Kind] = append(by[d.Kind], d)
	}
	ix := &Index{syl: syl, segs: map[Kind]*segment{}}
	for _, k := range Kinds {
		s, err := newSegment(k, by[k], syl, nil)
		if err != nil {
			return nil, err
		}
		ix.segs[k] = s
	}
	return ix, nil
}

// Len is the number of docs indexed.
func (ix *Index) Len() int {
	n := 0
	for _, s := range ix.segs {
		n += len(s.docs)
	}
	return n
}

// Search runs q. Its only errors are *QueryError (a bad q, kinds or limit).
func (ix *Index) Search(q Query) (Result, error) {
	return runSearch(ix.syl, func(k Kind) *segment { return ix.segs[k] }, q)
}

func runSearch(syl Syllabler, seg func(Kind) *segment, q Query) (Result, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 1 || limit > MaxLimit:
		return Result{}, &QueryError{"limit", fmt.Sprintf("%d is not between 1 and %d", limit, MaxLimit)}
	}
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	for _, k := range kinds {
		if !slices.Contains(Kinds, k) {
			return Result{}, &QueryError{"kinds", fmt.Sprintf("%q is not a kind: use place, division or facility", k)}
		}
	}
	pq, simplified, err := prepare(q.Q, syl)
	if err != nil {
		return Result{}, err
	}
	f := &filter{division: q.Division, category: q.Category, statuses: q.Statuses}
	res := Result{Query: q.Q, Simplified: simplified}
	for _, k := range Kinds {
		if !slices.Contains(kinds, k) {
			continue
		}
		s := seg(k)
		if s == nil {
			continue
		}
		hits, n := s.run(pq, f, limit)
		res.Hits = append(res.Hits, hits...)
		res.NumberMatched += n
	}
	slices.SortStableFunc(res.Hits, func(a, b Hit) int { return cmpScore(a.score, b.score) })
	if len(res.Hits) > limit {
		res.Hits = res.Hits[:limit]
	}
	return res, nil
}

// cmpScore orders hits of different kinds by their score without the doc index (kinds differ in rank, so two hits of
// equal tier, field and status never tie across kinds).
func cmpScore(a, b uint64) int {
	a, b = a>>32, b>>32
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Loader reads every record of one kind from a store, as Docs.
type Loader func(ctx context.Context) ([]Doc, error)

// Live is an Index kept current with a store: each kind's segment is rebuilt from its Loader when Invalidate has named
// the kind, before the next Search answers, so a search that follows a committed write sees it. Safe for concurrent use.
type Live struct {
	syl     atomic.Pointer[reader]
	loaders map[Kind]Loader
	kinds   map[Kind]*liveSeg
}

// reader is the Syllabler in use; a new one (SetSyllabler) is a new reader, and segments built with another are not
// reused for their readings.
type reader struct{ Syllabler }

type liveSeg struct {
	mu    sync.Mutex // serialises reloads
	dirty atomic.Bool
	seg   atomic.Pointer[segment]
	by    *reader // the reader seg was built with
}

// NewLive loads every kind that has a loader and indexes it.
func NewLive(ctx context.Context, syl Syllabler, loaders map[Kind]Loader) (*Live, error) {
	l := &Live{loaders: loaders, kinds: map[Kind]*liveSeg{}}
	l.syl.Store(&reader{syl})
	for k := range loaders {
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("search: unknown kind %q", k)
		}
		ls := &liveSeg{}
		ls.dirty.Store(true)
		l.kinds[k] = ls
		if err := l.refresh(ctx, k); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Invalidate marks kinds as changed: the next Search reloads them. It is cheap and may be called from a store's
// change notification (synchronously, before the write returns).
func (l *Live) Invalidate(kinds ...Kind) {
	for _, k := range kinds {
		if ls := l.kinds[k]; ls != nil {
			ls.dirty.Store(true)
		}
	}
}

func (l *Live) refresh(ctx context.Context, k Kind) error {
	ls := l.kinds[k]
	if !ls.dirty.Load() {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if !ls.dirty.Swap(false) { // another search reloaded it meanwhile
		return nil
	}
	docs, err := l.loaders[k](ctx)
	if err != nil {
		ls.dirty.Store(true)
		return fmt.Errorf("search: loading %ss: %w", k, err)
	}
	rd := l.syl.Load()
	prev := ls.seg.Load()
	if ls.by != rd {
		prev = nil // read with another dictionary: read every name again
	}
	seg, err := newSegment(k, docs, rd.Syllabler, prev)
	if err != nil {
		ls.dirty.Store(true)
		return err
	}
	ls.seg.Store(seg)
	ls.by = rd
	return nil
}

// SetSyllabler replaces the reader of Han characters (a new county reading dictionary): every kind is read again, in
// full, before the next search.
func (l *Live) SetSyllabler(syl Syllabler) {
	l.syl.Store(&reader{syl})
	for _, ls := range l.kinds {
		ls.dirty.Store(true)
	}
}

// Search reloads the kinds q asks for that have changed, then runs q. Errors: *QueryError, or a loader's error.
func (l *Live) Search(ctx context.Context, q Query) (Result, error) {
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	for _, k := range kinds {
		if l.kinds[k] != nil {
			if err := l.refresh(ctx, k); err != nil {
				return Result{}, err
			}
		}
	}
	return runSearch(l.syl.Load().Syllabler, func(k Kind) *segment {
		if ls := l.kinds[k]; ls != nil {
			return ls.seg.Load()
		}
		return nil
	}, q)
}

// Docs returns the indexed docs of kind k (reloaded first if changed), ordered by ID. They must not be modified.
func (l *Live) Docs(ctx context.Context, k Kind) ([]Doc, error) {
	ls := l.kinds[k]
	if ls == nil {
		return nil, nil
	}
	if err := l.refresh(ctx, k); err != nil {
		return nil, err
	}
	return ls.seg.Load().docs, nil
}
