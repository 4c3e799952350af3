package inspectiontiles

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"civmap/gazetteer/inspection"
	"civmap/tiles"
)

// DefaultMemoRounds is how many rounds Routes' memo keeps. An entry holds a round's markers, line findings and
// gap/overlap outlines, not the polygons they were cut from.
const DefaultMemoRounds = 32

// buildTimeout bounds one build of a round's features, which runs detached from the request that started it.
const buildTimeout = time.Minute

// recordLayers are the county layers (tiles.Layers names) whose records a round's report reads besides its documents:
// its line and the others (tri-junctions), its markers, and the divisions on both sides.
var recordLayers = []string{"boundary_lines", "markers", "divisions"}

// Memo keeps the features of the most recently tiled rounds, each under the state it was built from: the versions of
// the round's documents (inspection.Service.DocVersions, read for every tile) and a generation that every write to
// lines, markers or divisions bumps, told by the store's tiles.Notifier — after commit for this process's writes, by
// pg_notify for another process's on PostGIS (a tile may then be stale for the moment the notification takes, as the
// county's tiles are). A tile whose round's state matches its entry is cut from it; otherwise the features are built
// again. Concurrent requests of one state share one build; errors are not kept. At most max rounds are kept, least
// recently used dropped first. A store that is not a tiles.Notifier gets no memo: every tile builds the report.
//
// A Memo is safe for concurrent use.
type Memo struct {
	svc      *inspection.Service
	max      int
	notified bool
	gen      atomic.Uint64 // writes to recordLayers seen
	builds   atomic.Uint64

	mu  sync.Mutex
	m   map[string]*list.Element // round id → element of lru holding its *memoEntry
	lru list.List                // front: most recently used
}

// memoState is what a round's features were built from.
type memoState struct {
	gen  uint64
	docs string
}

type memoEntry struct {
	id    string
	state memoState
	done  chan struct{} // closed when rl and err are set
	rl    *roundLayers
	err   error
}

// NewMemo returns a memo of at most maxRounds rounds (at least 1) of svc's store, subscribed to its changes when the
// store is a tiles.Notifier.
func NewMemo(svc *inspection.Service, maxRounds int) *Memo {
	m := &Memo{svc: svc, max: max(maxRounds, 1), m: map[string]*list.Element{}}
	if n, ok := svc.Store.(tiles.Notifier); ok {
		m.notified = true
		n.Subscribe(m.change)
	}
	return m
}

// change bumps the generation when c touches a layer whose records a report reads.
func (m *Memo) change(c tiles.Change) {
	for _, l := range c.Layers {
		for _, r := range recordLayers {
			if l == r {
				m.gen.Add(1)
				return
			}
		}
	}
}

// Builds counts the builds of a round's features (each builds its report).
func (m *Memo) Builds() uint64 { return m.builds.Load() }

// Len is the number of rounds kept.
func (m *Memo) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// layers returns round id's features for its current state, building them unless they are kept or being built.
func (m *Memo) layers(ctx context.Context, id string) (rl *roundLayers, err error) {
	if !m.notified {
		return m.build(ctx, id)
	}
	// The generation is read before the documents and the build: a write that commits meanwhile bumps it after, so
	// the next request builds again.
	st := memoState{gen: m.gen.Load()}
	if st.docs, err = m.svc.DocVersions(ctx, id); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if el, ok := m.m[id]; ok {
		if e := el.Value.(*memoEntry); e.state == st {
			m.lru.MoveToFront(el)
			m.mu.Unlock()
			select {
			case <-e.done:
				return e.rl, e.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		m.lru.Remove(el) // another state: its waiters keep their entry
	}
	e := &memoEntry{id: id, state: st, done: make(chan struct{})}
	m.m[id] = m.lru.PushFront(e)
	for m.lru.Len() > m.max {
		old := m.lru.Back()
		delete(m.m, old.Value.(*memoEntry).id)
		m.lru.Remove(old)
	}
	m.mu.Unlock()
	defer func() { // on a panic too: the waiters get an error, and no failed build is kept
		if p := recover(); p != nil {
			e.rl, e.err = nil, fmt.Errorf("inspection %s: building the map layers panicked: %v\n%s", id, p, debug.Stack())
		}
		if e.rl == nil && e.err == nil {
			e.err = errors.New("inspection " + id + ": building the map layers failed")
		}
		if e.err != nil {
			m.mu.Lock()
			if el, ok := m.m[id]; ok && el.Value == e {
				delete(m.m, id)
				m.lru.Remove(el)
			}
			m.mu.Unlock()
		}
		close(e.done)
		rl, err = e.rl, e.err
	}()
	// Detached from the leader's request, so that its going away does not fail the others waiting; bounded instead.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
	defer cancel()
	e.rl, e.err = m.build(bctx, id)
	return e.rl, e.err // as the deferred function sets them
}

// build builds round id's report and prepares its map features.
func (m *Memo) build(ctx context.Context, id string) (*roundLayers, error) {
	m.builds.Add(1)
	rep, err := m.svc.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	return prepare(inspection.MapFeatures(rep)), nil
}
