package tiles

import (
	"context"
	"errors"
	"sync"
)

// flights coalesces concurrent renders of one tile: the first request for a key renders it in its own goroutine
// (no goroutine started per render, as singleflight's DoChan would), and the requests that arrive meanwhile wait for
// that result, each until its own context ends.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*flight
}

// flightKey is a tile's cache key under one change generation: a request that arrives after a write never joins a
// render begun before it.
type flightKey struct {
	key string
	gen uint64
}

type flight struct {
	done chan struct{}
	e    *cacheEntry
	err  error
}

// do returns render's result for k, rendering it unless a render of k is under way, in which case it waits for that
// one (led is false) until ctx ends. render must not use the waiting requests' contexts.
func (f *flights) do(ctx context.Context, k flightKey, render func() (*cacheEntry, error)) (e *cacheEntry, led bool, err error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[flightKey]*flight{}
	}
	if fl, ok := f.m[k]; ok {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.e, false, fl.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{})}
	f.m[k] = fl
	f.mu.Unlock()
	defer func() { // on a panic too: the waiters get an error, and the flight is gone
		if fl.e == nil && fl.err == nil {
			fl.err = errRenderPanicked
		}
		f.mu.Lock()
		delete(f.m, k)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.e, fl.err = render()
	return fl.e, true, fl.err
}

var errRenderPanicked = errors.New("tiles: the render panicked")
