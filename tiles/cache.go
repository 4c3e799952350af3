package tiles

import (
	"sync"

	"github.com/paulmach/orb"
)

// entryOverhead is what the cache charges per entry beyond its key and bytes (the entry struct, list links and map
// slot), so that a cache of many empty tiles still stays within its budget.
const entryOverhead = 160

// representation is one encoding of a tile as served: its bytes and its ETag and Content-Length header values, made
// once with it so that serving it allocates nothing.
type representation struct {
	body         []byte
	etag, length []string
}

// cacheEntry is one cached tile: its uncompressed MVT form (body nil for an empty tile), the gzip form once asked for
// (gz, written under the cache's lock) and its ETag known beforehand, the layers it holds (a bit per index in Layers)
// and its buffered lon/lat bound.
type cacheEntry struct {
	key        string
	plain      representation
	gz         *representation
	gzTag      string
	layers     uint64
	bound      orb.Bound
	prev, next *cacheEntry
}

func (e *cacheEntry) size() int64 {
	n := len(e.key) + len(e.plain.body) + len(e.gzTag) // the identity ETag is as long as the gzip one
	if e.gz != nil {
		n += len(e.gz.body) + len(e.gzTag)
	}
	return int64(n) + entryOverhead
}

// tileCache is an LRU of tiles bounded by bytes (keys, tile bytes, gzip forms and entryOverhead counted). Change
// removes exactly the tiles a write may have altered. gen counts changes, so that a tile rendered from data read
// before a change is not cached after it.
type tileCache struct {
	mu         sync.Mutex
	max, size  int64
	m          map[string]*cacheEntry
	head, tail *cacheEntry // head is the most recently used
	gen        uint64
	hits, miss uint64
}

func newTileCache(maxBytes int64) *tileCache {
	return &tileCache{max: maxBytes, m: make(map[string]*cacheEntry)}
}

// CacheStats describes the tile cache.
type CacheStats struct {
	Hits, Misses uint64 // lookups answered from the cache, and not
	Entries      int    // tiles held
	Bytes        int64  // bytes charged (keys, tiles, gzip forms, per-entry overhead)
	MaxBytes     int64  // the budget; 0: no cache
	// Renders counts tiles rendered for cache misses; Coalesced, the misses that waited for another request's render
	// of the same tile instead of rendering it again.
	Renders, Coalesced uint64
}

func (c *tileCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.miss, Entries: len(c.m), Bytes: c.size, MaxBytes: c.max}
}

// get returns the entry under key, marking it most recently used, its gzip form so far (read under the lock: setGzip
// writes it), and the change generation to pass to put on a miss. An entry's other fields never change once put.
func (c *tileCache) get(key []byte) (e *cacheEntry, gz *representation, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e = c.m[string(key)] // no allocation: the compiler looks the bytes up in place
	if e == nil {
		c.miss++
		return nil, nil, c.gen
	}
	c.hits++
	c.moveFront(e)
	return e, e.gz, c.gen
}

// peek returns the entry under key without counting a lookup or touching the LRU order, and the change generation.
func (c *tileCache) peek(key string) (*cacheEntry, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], c.gen
}

// put adds e unless a change happened since gen (e may be stale) or e alone exceeds the budget, evicting the least
// recently used tiles to make room.
func (c *tileCache) put(e *cacheEntry, gen uint64) {
	if c.max <= 0 || e.size() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if old := c.m[e.key]; old != nil {
		c.remove(old)
	}
	c.m[e.key] = e
	c.pushFront(e)
	c.size += e.size()
	c.evict(e)
}

// setGzip records the gzip form of e if e is still cached and it fits.
func (c *tileCache) setGzip(e *cacheEntry, gz *representation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[e.key] != e || e.gz != nil {
		return
	}
	add := int64(len(gz.body) + len(e.gzTag))
	if e.size()+add > c.max {
		return
	}
	e.gz = gz
	c.size += add
	c.evict(e)
}

// evict drops least recently used entries other than keep until the cache fits its budget.
func (c *tileCache) evict(keep *cacheEntry) {
	for c.size > c.max && c.tail != nil {
		v := c.tail
		if v == keep {
			v = v.prev
			if v == nil {
				return
			}
		}
		c.remove(v)
	}
}

// change removes the tiles that hold a layer in mask and whose bound meets one of bounds (all of those layers' tiles
// when all is set), and makes renders begun before it uncacheable.
func (c *tileCache) change(mask uint64, bounds []orb.Bound, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for e := c.head; e != nil; {
		next := e.next
		if e.layers&mask != 0 && (all || meetsAny(e.bound, bounds)) {
			c.remove(e)
		}
		e = next
	}
}

func meetsAny(b orb.Bound, bounds []orb.Bound) bool {
	for _, cb := range bounds {
		if b.Intersects(cb) {
			return true
		}
	}
	return false
}

func (c *tileCache) remove(e *cacheEntry) {
	delete(c.m, e.key)
	c.unlink(e)
	c.size -= e.size()
}

func (c *tileCache) unlink(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *tileCache) pushFront(e *cacheEntry) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

func (c *tileCache) moveFront(e *cacheEntry) {
	if c.head == e {
		return
	}
	c.unlink(e)
	c.pushFront(e)
}
