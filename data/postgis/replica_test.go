package postgis_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/tiles"
)

func TestParseLSN(t *testing.T) {
	for _, c := range []struct {
		in   string
		want postgis.LSN
		err  bool
	}{
		{"0/0", 0, false},
		{"0/4000000", 0x4000000, false},
		{"16/B374D848", 0x16_B374D848, false},
		{"FFFFFFFF/FFFFFFFF", 0xFFFFFFFF_FFFFFFFF, false},
		{"1/0", 1 << 32, false},
		{"abc", 0, true},
		{"1/", 0, true},
		{"/1", 0, true},
		{"100000000/0", 0, true}, // the high half is 32 bits
		{"0/G", 0, true},
	} {
		got, err := postgis.ParseLSN(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseLSN(%q) = %v, %v; want %v, error %v", c.in, uint64(got), err, uint64(c.want), c.err)
			continue
		}
		if !c.err && got.String() != strings.ToUpper(c.in) {
			t.Errorf("LSN(%q).String() = %q", c.in, got.String())
		}
	}
}

const (
	testMaxLag = time.Second
	testCheck  = 100 * time.Millisecond
)

// openWithReplica opens a store on primaryURL reading from replicaURLs, lag limit testMaxLag, checks every testCheck.
func openWithReplica(t *testing.T, primaryURL string, replicaURLs ...string) *postgis.Store {
	t.Helper()
	s, err := postgis.Open(context.Background(), primaryURL, postgis.Options{ReplicaURLs: replicaURLs,
		ReplicaMaxLag: testMaxLag, ReplicaCheck: testCheck})
	if err != nil {
		t.Fatalf("Open with replica: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eventually polls cond every 20 ms for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func replicaState(s *postgis.Store) (postgis.ReplicaStatus, int64) {
	rs, primary := s.Replicas()
	return rs[0], primary
}

// pauseReplay pauses WAL replay on the replica (pg_wal_replay_pause) and returns the function resuming it, also run at
// cleanup so that later tests find a replica that replays.
func pauseReplay(t *testing.T, replicaURL string) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume := func() {
		once.Do(func() {
			if _, err := conn.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
				t.Errorf("pg_wal_replay_resume: %v", err)
			}
			conn.Close(ctx)
		})
	}
	t.Cleanup(resume)
	return resume
}

func testPlace(id string, at orb.Point) gazetteer.Place {
	return gazetteer.Place{ID: id, Name: "副本测试" + id, Category: "村庄", Status: gazetteer.StatusDraft,
		DivisionCodes: []string{"330225"}, Geometry: at}
}

// TestReplicaRouting: routed reads are served by the replica (counters and the replica's pg_stat_activity); a server
// reads its own writes even when the replica is paused (the primary serves); another server reads the replica's stale
// state within the lag limit, and its client's LSN (WithMinLSN) sends it to the primary; past the lag limit the
// replica is out and the primary serves everything; after resuming, it is back.
func TestReplicaRouting(t *testing.T) {
	ctx := context.Background()
	primaryURL := pgtest.NewDatabase(t)
	replicaURL := pgtest.ReplicaURL(t, primaryURL)
	x := loadXiangshan(t)
	a := openWithReplica(t, primaryURL, replicaURL)
	if _, err := a.Import(ctx, x.batch(), edit.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replica is healthy", func() bool { r, _ := replicaState(a); return r.Healthy })

	// Caught up: the reads go to the replica.
	r0, p0 := replicaState(a)
	eventually(t, "a read after the import is served by the replica", func() bool {
		d, err := a.Division(ctx, "330225")
		if err != nil || d.Name != "象山县" {
			t.Fatalf("Division = %+v, %v", d, err)
		}
		r, _ := replicaState(a)
		return r.Reads > r0.Reads
	})
	r1, p1 := replicaState(a)
	center := x.villages[0].Geometry.(orb.Point)
	loc, err := a.Locate(ctx, center)
	if err != nil || loc.County.Code != "330225" {
		t.Fatalf("Locate = %+v, %v", loc, err)
	}
	tile, err := a.MVT(ctx, maptile.At(center, 12), tiles.Layers, 12)
	if err != nil || len(tile) == 0 {
		t.Fatalf("MVT = %d bytes, %v", len(tile), err)
	}
	if r2, p2 := replicaState(a); r2.Reads != r1.Reads+2 || p2 != p1 {
		t.Errorf("locate and a tile: replica reads %d → %d, primary reads %d → %d; want +2 and +0",
			r1.Reads, r2.Reads, p1, p2)
	}
	_ = p0
	var conns int
	if err := pgxQueryRow(ctx, replicaURL, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'civmap-replica' AND datname = current_database()`, &conns); err != nil || conns == 0 {
		t.Errorf("civmap-replica connections on the replica: %d, %v; want > 0", conns, err)
	}

	// Replay paused: own writes are read from the primary.
	b := openWithReplica(t, primaryURL, replicaURL) // another server: it has not seen the write
	eventually(t, "b's replica is healthy and caught up", func() bool {
		r, _ := replicaState(b)
		return r.Healthy && r.Lag == 0
	})
	// The lag clock starts at the first WAL the paused replica has not replayed: after this moment.
	wrote := time.Now()
	resume := pauseReplay(t, replicaURL)
	p, err := a.CreatePlace(ctx, testPlace("rep-1", center), edit.Meta{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lsn := a.SeenLSN()
	if lsn == 0 {
		t.Fatal("SeenLSN after a write is 0")
	}
	_, pa := replicaState(a)
	if got, err := a.Place(ctx, p.ID); err != nil || got.Version != 1 {
		t.Fatalf("own write: Place = %+v, %v", got, err)
	}
	if _, pa2 := replicaState(a); pa2 != pa+1 {
		t.Errorf("own write read: primary reads %d → %d, want +1", pa, pa2)
	}
	var onReplica int
	if err := pgxQueryRow(ctx, replicaURL, `SELECT count(*) FROM places WHERE id = 'rep-1'`, &onReplica); err != nil ||
		onReplica != 0 {
		t.Fatalf("the paused replica has the place: %d, %v", onReplica, err)
	}
	// b reads the replica's state (stale by less than the lag limit) unless the client carries the write's LSN.
	if r, _ := replicaState(b); r.Healthy && time.Since(wrote) < testMaxLag/2 {
		if _, err := b.Place(ctx, p.ID); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("b without the LSN: Place = %v, want not found (the replica's state)", err)
		}
	}
	if got, err := b.Place(postgis.WithMinLSN(ctx, lsn), p.ID); err != nil || got.ID != p.ID {
		t.Errorf("b with the client's LSN: Place = %+v, %v", got, err)
	}

	// Past the lag limit the replica is out and the primary serves b too.
	eventually(t, "b takes the lagging replica out", func() bool { r, _ := replicaState(b); return !r.Healthy })
	if out := time.Since(wrote); out < testMaxLag {
		t.Errorf("the replica was taken out %v after the write, before the %v limit", out, testMaxLag)
	}
	if r, _ := replicaState(b); !strings.Contains(r.Err, "lags") || r.Lag < testMaxLag {
		t.Errorf("status of the lagging replica: %+v", r)
	}
	rb, pb := replicaState(b)
	if got, err := b.Place(ctx, p.ID); err != nil || got.ID != p.ID {
		t.Errorf("b with the replica out: Place = %+v, %v", got, err)
	}
	if rb2, pb2 := replicaState(b); rb2.Reads != rb.Reads || pb2 != pb+1 {
		t.Errorf("b with the replica out: replica reads %d → %d, primary %d → %d", rb.Reads, rb2.Reads, pb, pb2)
	}

	// Resumed: back in, and b's reads go to it again (and see the place).
	resume()
	eventually(t, "the replica is back", func() bool { r, _ := replicaState(b); return r.Healthy })
	rb, _ = replicaState(b)
	if got, err := b.Place(ctx, p.ID); err != nil || got.ID != p.ID {
		t.Errorf("after resume: Place = %+v, %v", got, err)
	}
	if rb2, _ := replicaState(b); rb2.Reads != rb.Reads+1 {
		t.Errorf("after resume: replica reads %d → %d, want +1", rb.Reads, rb2.Reads)
	}
}

func pgxQueryRow(ctx context.Context, dsn, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// proxy forwards TCP connections to target until closed; it can be restarted on the same address.
type proxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, addr: "127.0.0.1:0"}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // stopped meanwhile
				p.mu.Unlock()
				c.Close()
				u.Close()
				return
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// stop closes the listener and every forwarded connection: to the store, the replica died.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestReplicaFailover: the replica dies under load (its connections cut, new ones refused) → every read keeps answering
// (retried on the primary, the replica taken out); when it comes back it is taken in again.
func TestReplicaFailover(t *testing.T) {
	ctx := context.Background()
	primaryURL := pgtest.NewDatabase(t)
	replicaURL := pgtest.ReplicaURL(t, primaryURL)
	u, err := url.Parse(replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr
	x := loadXiangshan(t)
	s := openWithReplica(t, primaryURL, u.String())
	if _, err := s.Import(ctx, x.batch(), edit.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	center := x.villages[0].Geometry.(orb.Point)
	reads := func(n int) {
		t.Helper()
		for i := range n {
			if d, err := s.Division(ctx, "330225"); err != nil || d.Name != "象山县" {
				t.Fatalf("read %d: Division = %+v, %v", i, d, err)
			}
			if pg, err := s.Places(ctx, gazetteer.PlaceQuery{Limit: 5}); err != nil || pg.NumberMatched != 0 {
				t.Fatalf("read %d: Places = %+v, %v", i, pg, err)
			}
			if loc, err := s.Locate(ctx, center); err != nil || loc.County.Code != "330225" {
				t.Fatalf("read %d: Locate = %+v, %v", i, loc, err)
			}
			if ds, err := s.Divisions(ctx, gazetteer.DivisionQuery{}); err != nil || len(ds) != 1+len(x.townships)+len(x.villages) {
				t.Fatalf("read %d: Divisions = %d, %v", i, len(ds), err)
			}
		}
	}
	eventually(t, "reads go to the replica", func() bool {
		reads(1)
		r, _ := replicaState(s)
		return r.Reads > 0
	})

	px.stop()
	reads(25) // 100 reads while the replica is dead: none fails
	r, p0 := replicaState(s)
	if r.Healthy || r.Err == "" {
		t.Errorf("replica after it died: %+v, want out with an error", r)
	}
	reads(5)
	if r1, p1 := replicaState(s); r1.Reads != r.Reads || p1 != p0+20 {
		t.Errorf("with the replica out: replica reads %d → %d, primary %d → %d; want +0 and +20", r.Reads, r1.Reads, p0, p1)
	}

	px.start(t)
	eventually(t, "the replica is taken in again", func() bool { r, _ := replicaState(s); return r.Healthy })
	r0, _ := replicaState(s)
	reads(1)
	if r1, _ := replicaState(s); r1.Reads != r0.Reads+4 {
		t.Errorf("after the replica came back: replica reads %d → %d, want +4", r0.Reads, r1.Reads)
	}
}
