package postgis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/tiles"
)

var _ tiles.Notifier = (*Store)(nil)

// tileState is the store's tile support: the subscribers of tiles.Notifier, the LISTEN goroutine that tells them about
// other processes' writes, and the memo of tile queries.
type tileState struct {
	subs tiles.Subscribers
	sql  sync.Map // statementKey of a layer list at a zoom → its tile statement (tiles.go)
	// batchers is each pool's tile pipeline (*pgxpool.Pool → *tileBatcher, tilebatch.go).
	batchers sync.Map

	originOnce sync.Once
	origin     string // this Store's random instance id, the "origin" of its notifications

	listenMu sync.Mutex
	started  bool               // the listener goroutine was started (first Subscribe)
	closed   bool               // Close was called: no listener starts any more
	stop     context.CancelFunc // stops the listener
	done     chan struct{}      // closed when the listener has returned
}

// Subscribe registers f to be called after every committed write that changes tiles, with the layers it touched and the
// lon/lat bounds of the old and new geometries (tiles.Change).
//
// This Store's own writes (CreatePlace, UpdatePlace, Import) call f synchronously after commit, before the write
// returns; an import of more than 10,000 records reports its layers with All instead of bounds.
//
// Writes of other processes on the same database (another civmap serve, `civmap import --database-url`, or another
// Store in this process) reach f through PostgreSQL LISTEN/NOTIFY: every write above also runs
// pg_notify('civmap_changes', payload) inside its transaction, so the notification is delivered if and only if the
// transaction commits. The payload is JSON: {"origin": the writing Store's random instance id, "layers": [...],
// "bounds": [[minLon, minLat, maxLon, maxLat], ...], "all": bool}; when the bounds would not fit PostgreSQL's 8000-byte
// payload limit, all is true for those layers instead. An empty or undecodable payload (`NOTIFY civmap_changes` from
// psql) means every layer may have changed.
//
// The first Subscribe starts one listener goroutine on a dedicated connection (not taken from the pool; application_name
// civmap-listener) and waits for its first LISTEN (at most 10 s), so that writes committed after Subscribe returns are
// seen. The listener skips the notifications of this Store (already told synchronously) and calls f with the others,
// asynchronously: a tile may be served stale for the moment a notification takes to arrive (milliseconds). When its
// connection is lost (or fails a health check) it reconnects with exponential backoff (0.1 s to 30 s) and then calls f
// with All for every layer, since notifications may have been missed meanwhile. Close stops the listener and waits for
// it. f must be safe for concurrent use: the listener and this Store's writers may call it at the same time.
//
// Writes that bypass the store (SQL in psql without NOTIFY) are not reported; the tile cache has no TTL.
func (s *Store) Subscribe(f func(tiles.Change)) {
	s.tiles.subs.Add(f)
	s.startListener()
}

// notifyTiles tells the subscribers about a committed write. Concurrent writes may be told in another order than they
// committed: each change only removes tiles, so the order does not matter.
func (s *Store) notifyTiles(c tiles.Change) { s.tiles.subs.Notify(c) }

// ---- LISTEN/NOTIFY -------------------------------------------------------------------------------------------------------

const (
	// notifyChannel is the channel of the change notifications.
	notifyChannel = "civmap_changes"
	// maxNotifyPayload is the longest payload PostgreSQL accepts (it rejects 8000 bytes and more).
	maxNotifyPayload = 7999
	// listenerAppName is the application_name of the listener's connection.
	listenerAppName = "civmap-listener"
	// listenTimeout bounds the connect and LISTEN of one attempt, and Subscribe's wait for the first one.
	listenTimeout = 10 * time.Second
	// listenCheck is how long the listener waits for a notification before it pings its connection.
	listenCheck = 30 * time.Second
	// listenBackoffMin and listenBackoffMax bound the wait between connection attempts.
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 30 * time.Second
	// listenStable is how long a connection must have lived for the backoff to start again from listenBackoffMin.
	listenStable = time.Minute
)

// changeMessage is the JSON payload of a notification.
type changeMessage struct {
	Origin string       `json:"origin"`
	Layers []string     `json:"layers"`
	Bounds [][4]float64 `json:"bounds"`
	All    bool         `json:"all"`
}

// originID is this Store's random instance id.
func (s *Store) originID() string {
	s.tiles.originOnce.Do(func() { s.tiles.origin = rand.Text() })
	return s.tiles.origin
}

// notifyPayload is the notification payload of c from origin: its bounds, or All for its layers when they do not fit.
func notifyPayload(origin string, c tiles.Change) string {
	m := changeMessage{Origin: origin, Layers: c.Layers, Bounds: [][4]float64{}, All: c.All}
	if !c.All {
		for _, b := range c.Bounds {
			m.Bounds = append(m.Bounds, [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]})
		}
	}
	if p, err := json.Marshal(m); err == nil && len(p) <= maxNotifyPayload {
		return string(p)
	}
	// Too long (or a coordinate JSON cannot hold): the whole layers.
	m.Bounds, m.All = [][4]float64{}, true
	p, _ := json.Marshal(m) // strings and bools only; layer names are short
	return string(p)
}

// publishTiles queues the notification of c in tx: PostgreSQL delivers it to the listeners when tx commits, and never if
// it rolls back. Call it inside every write transaction that calls notifyTiles after commit.
func (s *Store) publishTiles(ctx context.Context, tx pgx.Tx, c tiles.Change) error {
	if len(c.Layers) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, notifyPayload(s.originID(), c)); err != nil {
		return fmt.Errorf("postgis: notify %s: %w", notifyChannel, err)
	}
	return nil
}

// decodeChange turns a payload into the change it reports, and whether it came from origin. A payload that does not
// decode changes every layer.
func decodeChange(payload, origin string) (tiles.Change, bool) {
	var m changeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return allLayersChange(), false
	}
	if m.Origin != "" && m.Origin == origin {
		return tiles.Change{}, true
	}
	c := tiles.Change{Layers: m.Layers, All: m.All}
	if !m.All {
		for _, b := range m.Bounds {
			c.Bounds = append(c.Bounds, orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}})
		}
	}
	return c, false
}

// allLayersChange is a change of everything.
func allLayersChange() tiles.Change {
	c := tiles.Change{All: true}
	for _, l := range tiles.Layers {
		c.Layers = append(c.Layers, l.Name)
	}
	return c
}

// startListener starts the listener goroutine unless it runs or the store is closed, and waits for its first LISTEN.
func (s *Store) startListener() {
	t := &s.tiles
	t.listenMu.Lock()
	if t.started || t.closed {
		t.listenMu.Unlock()
		return
	}
	t.started = true
	ctx, stop := context.WithCancel(context.Background())
	t.stop, t.done = stop, make(chan struct{})
	ready := make(chan struct{})
	go s.listen(ctx, ready, t.done)
	t.listenMu.Unlock()
	select {
	case <-ready:
	case <-time.After(listenTimeout):
	}
}

// stopListener stops the listener goroutine and waits for it to return; later Subscribes start none. Idempotent.
func (s *Store) stopListener() {
	t := &s.tiles
	t.listenMu.Lock()
	t.closed = true
	stop, done := t.stop, t.done
	t.listenMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// listen is the listener goroutine: it connects and LISTENs (closing ready after the first attempt, successful or not),
// delivers the other stores' notifications, and reconnects with backoff when the connection is lost, then delivers a
// change of everything. It returns when ctx is cancelled, and closes done.
func (s *Store) listen(ctx context.Context, ready, done chan struct{}) {
	defer close(done)
	origin := s.originID()
	backoff := listenBackoffMin
	first := true
	for {
		conn, err := s.listenConn(ctx)
		if first {
			close(ready)
		}
		if err == nil {
			if !first {
				// Notifications committed while no connection listened are lost.
				s.committed(ctx)
				s.notifyTiles(allLayersChange())
			}
			since := time.Now()
			s.receive(ctx, conn, origin)
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
			if time.Since(since) >= listenStable {
				backoff = listenBackoffMin
			}
		}
		first = false
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenConn opens the listener's connection with the pool's settings and runs LISTEN.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, listenTimeout)
	defer cancel()
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerAppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		return nil, err
	}
	return conn, nil
}

// receive delivers the notifications arriving on conn until ctx is cancelled or the connection fails (a read error, or
// no answer to the ping sent after listenCheck without notifications).
func (s *Store) receive(ctx context.Context, conn *pgx.Conn, origin string) {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
				return
			}
			pctx, cancel := context.WithTimeout(ctx, listenTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
			continue
		}
		if n.Channel != notifyChannel {
			continue
		}
		if c, own := decodeChange(n.Payload, origin); !own {
			s.committed(ctx) // a tile regenerated after this invalidation must not come from an older replica
			s.notifyTiles(c)
		}
	}
}

// placeChange is the change of a place write: the bound of its old geometry (nil: none) and of its new one.
func placeChange(old *orb.Bound, g orb.Geometry) tiles.Change {
	c := tiles.Change{Layers: []string{"places"}}
	if old != nil {
		c.Bounds = append(c.Bounds, *old)
	}
	if g != nil {
		c.Bounds = append(c.Bounds, g.Bound())
	}
	return c
}

// boxSQL selects the exact (double precision) bound of a geometry column as float8[4] {xmin, ymin, xmax, ymax}, NULL
// for a NULL or empty geometry. (&& and the GiST index use float4-rounded boxes; ST_XMin etc. read the coordinates.)
func boxSQL(col string) string {
	return `CASE WHEN ` + col + ` IS NULL OR ST_IsEmpty(` + col + `) THEN NULL ELSE ARRAY[ST_XMin(` + col + `), ST_YMin(` +
		col + `), ST_XMax(` + col + `), ST_YMax(` + col + `)] END`
}

// boxBound turns boxSQL's value into a bound (nil for NULL).
func boxBound(b []float64) *orb.Bound {
	if len(b) != 4 {
		return nil
	}
	return &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
}

// importChange describes what importing b touches: the layers, and for a batch of at most data.ChangeBoundsLimit records
// the bounds of each record's new geometry and of the stored one it replaces. The stored rows are read and locked (FOR
// UPDATE, in key order, table by table in import order) in the import's transaction, so the bounds are those of the
// versions the import replaces even when other writers are busy.
func importChange(ctx context.Context, tx pgx.Tx, b *data.Batch) (tiles.Change, error) {
	var c tiles.Change
	c.Layers = b.ChangedLayers()
	if b.Len() > data.ChangeBoundsLimit {
		c.All = true
		return c, nil
	}
	bound := func(g orb.Geometry) {
		if g != nil {
			c.Bounds = append(c.Bounds, g.Bound())
		}
	}
	keys := func(n int, key func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = key(i)
		}
		return out
	}
	old := func(table, key string, cols []string, ks []string) error {
		if len(ks) == 0 {
			return nil
		}
		sel := make([]string, len(cols))
		for i, col := range cols {
			sel[i] = boxSQL(col)
		}
		rows, err := tx.Query(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM `+table+` WHERE `+key+` = ANY($1) ORDER BY `+
			key+` FOR UPDATE`, ks)
		if err != nil {
			return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
		}
		defer rows.Close()
		boxes := make([][]float64, len(cols))
		dst := make([]any, len(cols))
		for i := range boxes {
			dst[i] = &boxes[i]
		}
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
			}
			for _, box := range boxes {
				if bb := boxBound(box); bb != nil {
					c.Bounds = append(c.Bounds, *bb)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgis: import: stored bounds of %s: %w", table, err)
		}
		return nil
	}
	geom := []string{"geom"}
	for _, d := range b.Divisions {
		bound(d.Geometry)
		if d.Seat != nil {
			bound(*d.Seat)
		}
	}
	if err := old("divisions", "code", []string{"geom", "seat"},
		keys(len(b.Divisions), func(i int) string { return b.Divisions[i].Code })); err != nil {
		return c, err
	}
	for _, l := range b.Lines {
		bound(l.Geometry)
	}
	if err := old("boundary_lines", "id", geom, keys(len(b.Lines), func(i int) string { return b.Lines[i].ID })); err != nil {
		return c, err
	}
	for _, m := range b.Markers {
		bound(m.Position)
	}
	if err := old("markers", "number", geom,
		keys(len(b.Markers), func(i int) string { return b.Markers[i].Number })); err != nil {
		return c, err
	}
	for _, p := range b.Places {
		bound(p.Geometry)
	}
	if err := old("places", "id", geom, keys(len(b.Places), func(i int) string { return b.Places[i].ID })); err != nil {
		return c, err
	}
	for _, f := range b.Facilities {
		bound(f.Location)
	}
	if err := old("facilities", "id", geom,
		keys(len(b.Facilities), func(i int) string { return b.Facilities[i].ID })); err != nil {
		return c, err
	}
	for _, d := range b.Demand {
		bound(d.Location)
	}
	if err := old("demand_units", "code", geom,
		keys(len(b.Demand), func(i int) string { return b.Demand[i].Code })); err != nil {
		return c, err
	}
	return c, nil
}
