// Package pgtest gives tests a fresh PostgreSQL database on a throwaway cluster.
//
// CIVMAP_TEST_DATABASE_URL is a superuser URL (or key=value DSN) to any database of that cluster; `make test` and
// scripts/with-postgis.sh set it. Without it the tests skip, unless CIVMAP_REQUIRE_POSTGIS=1, which makes them fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewDatabase creates a uniquely named empty database (from template0, UTF-8, LC_COLLATE and LC_CTYPE C.UTF-8 so that
// pg_trgm indexes CJK text), drops it when the test ends (terminating its connections first), and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("CIVMAP_TEST_DATABASE_URL")
	if admin == "" {
		msg := "PostGIS tests need CIVMAP_TEST_DATABASE_URL (a superuser URL on a throwaway cluster): run `make test`, " +
			"or scripts/with-postgis.sh go test ./data/postgis/..."
		if os.Getenv("CIVMAP_REQUIRE_POSTGIS") == "1" {
			t.Fatal(msg + " (CIVMAP_REQUIRE_POSTGIS=1)")
		}
		t.Skip(msg)
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("civmap_test_%d_%s", os.Getpid(), hex.EncodeToString(suffix))
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: CIVMAP_TEST_DATABASE_URL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to CIVMAP_TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+
		` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// WITH (FORCE) terminates the connections a test left open (PostgreSQL ≥ 13).
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// withDatabase returns the connection string s pointing at database name instead.
func withDatabase(s, name string) (string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// key=value DSN: a later keyword overrides an earlier one.
	return s + " dbname=" + name, nil
}

// ReplicaURL returns the URL of the database dbURL (made by NewDatabase) on the streaming replica at
// CIVMAP_TEST_REPLICA_URL (scripts/with-replica.sh, `make test`), once the replica has replayed its creation. Without
// the variable the test skips, unless CIVMAP_REQUIRE_REPLICA=1, which makes it fail.
func ReplicaURL(t testing.TB, dbURL string) string {
	t.Helper()
	base := os.Getenv("CIVMAP_TEST_REPLICA_URL")
	if base == "" {
		msg := "replica tests need CIVMAP_TEST_REPLICA_URL (a streaming standby of CIVMAP_TEST_DATABASE_URL's cluster): " +
			"run `make test`, or scripts/with-replica.sh go test ./data/postgis/..."
		if os.Getenv("CIVMAP_REQUIRE_REPLICA") == "1" {
			t.Fatal(msg + " (CIVMAP_REQUIRE_REPLICA=1)")
		}
		t.Skip(msg)
	}
	name, err := databaseName(dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: CIVMAP_TEST_REPLICA_URL: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			conn.Close(ctx)
			cancel()
			return u
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: database %s on the replica: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// databaseName is the database of a URL or DSN.
func databaseName(s string) (string, error) {
	cfg, err := pgx.ParseConfig(s)
	if err != nil {
		return "", err
	}
	return cfg.Database, nil
}
