package main

import (
	"context"
	"fmt"
	"io"

	"civmap/data/postgis"
)

// cmdMigrate applies the embedded PostGIS migrations. The embedded store has no schema to migrate; it says so.
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("migrate", "migrate --database-url postgres://…", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if sf.databaseURL == "" {
		fmt.Fprintln(stdout, "the embedded store needs no migration; give --database-url (or CIVMAP_DATABASE_URL) for PostGIS")
		return nil
	}
	if err := postgis.Migrate(ctx, sf.databaseURL); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
