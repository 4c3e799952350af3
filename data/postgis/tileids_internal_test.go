package postgis

import (
	"context"
	"io/fs"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"civmap/data/postgis/pgtest"
	"civmap/data/sample"
	"civmap/internal/edit"
)

// TestMigration00003Renumbers: migration 00003 gives existing rows the ids a first import allocates (1, 2, … in key
// order per table; divisions 1, 3, 5, …) and sets the counters past them, and a later insert continues from there.
func TestMigration00003Renumbers(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	ids := func() map[string]int64 {
		out := map[string]int64{}
		for table, key := range map[string]string{"divisions": "code", "places": "id", "boundary_lines": "id",
			"markers": "number", "facilities": "id", "demand_units": "code"} {
			rows, err := s.pool.Query(ctx, `SELECT `+key+`, tile_id FROM `+table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var id int64
				if err := rows.Scan(&k, &id); err != nil {
					t.Fatal(err)
				}
				out[table+"/"+k] = id
			}
			rows.Close()
		}
		rows, _ := s.pool.Query(ctx, `SELECT layer, last_id FROM tile_id_counters`)
		for rows.Next() {
			var l string
			var n int64
			_ = rows.Scan(&l, &n)
			out["counter/"+l] = n
		}
		rows.Close()
		return out
	}
	before := ids()
	if before["divisions/330225"] != 1 || before["counter/places"] != int64(len(b.Places)) ||
		before["counter/divisions"] != 2*int64(len(b.Divisions)) {
		t.Fatalf("first import: county %d, counters %d %d", before["divisions/330225"], before["counter/places"],
			before["counter/divisions"])
	}
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	fsys, _ := fs.Sub(migrationFS, "migrations")
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if after := ids(); !reflect.DeepEqual(after, before) {
		t.Errorf("renumbered: %d ids differ", len(after))
	}
}
