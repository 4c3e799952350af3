// Command civmap keeps a county's place names, divisions, boundary lines and markers and its eldercare facilities, and
// serves them over HTTP. Subcommands: serve, import, migrate, token, version. Every flag has a CIVMAP_* environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version and commit are stamped at build time by the Makefile: -ldflags "-X main.version=$(git describe --tags
// --always --dirty) -X main.commit=$(git rev-parse HEAD)". Without them, buildVersion falls back to the VCS stamp
// that go build records in a git checkout.
var (
	version = ""
	commit  = ""
)

const usage = `civmap: the county's place names, boundaries and eldercare facilities, served as GeoJSON and an HTTP API.

Usage:
  civmap serve   [--addr 127.0.0.1:8080] [--data-dir ./var | --database-url postgres://…] [--no-sample]
  civmap import  --kind places|facilities|demand|divisions|markers|lines [--crs EPSG:4326] [--skip-invalid] FILE
  civmap migrate [--database-url postgres://…]
  civmap inspection import --line ID --year Y FILE | report --round ID | neighbours FILE   (boundary inspections)
  civmap token   create --name NAME --role ROLE | list | revoke NAME   (API tokens)
  civmap export  gazetteer [--format html|pdf|docx|json] [-o FILE]   (the draft county gazetteer, 地名志)
  civmap backup  --out FILE [--server URL]   (a consistent copy; PostGIS: pg_dump)
  civmap restore [--force] FILE
  civmap check-store                 (verify every index, history chain and audit link; exit 1 on a fault)
  civmap pinyin  [--stored] NAME…   (pinyin by the 1984 place-name rules)
  civmap check-names [--division CODE] [--format json|csv|xlsx|html] [--out FILE]   (name screening report)
  civmap coverage [--phase 2025] | query --types A,B --distance 1000 | siting --indicator meal --p 5   (layout plan)
  civmap version

Run "civmap COMMAND --help" for a command's flags. Every flag can also be set with an environment variable, named
in its help (CIVMAP_ADDR, CIVMAP_DATA_DIR, CIVMAP_DATABASE_URL, …).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer useLogger(newLogger(stderr, slog.LevelInfo))()
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stderr)
	case "import":
		err = cmdImport(ctx, rest, stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr)
	case "token":
		err = cmdToken(ctx, rest, stdout, stderr)
	case "export":
		err = cmdExport(ctx, rest, stdout, stderr)
	case "check-store":
		err = cmdCheckStore(ctx, rest, stdout, stderr)
	case "backup":
		err = cmdBackup(ctx, rest, stdout, stderr)
	case "restore":
		err = cmdRestore(ctx, rest, stdout, stderr)
	case "inspection":
		err = cmdInspection(ctx, rest, stdout, stderr)
	case "pinyin":
		err = cmdPinyin(ctx, rest, stdout, stderr)
	case "check-names":
		err = cmdCheckNames(ctx, rest, stdout, stderr)
	case "coverage":
		err = cmdCoverage(ctx, rest, stdout, stderr)
	case "version":
		if len(rest) > 0 {
			fmt.Fprintln(stderr, "Usage: civmap version   (prints the version and the VCS revision it was built from)")
			if rest[0] == "--help" || rest[0] == "-h" {
				return 0
			}
			return 2
		}
		fmt.Fprintln(stdout, "civmap", buildVersion())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "civmap: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "civmap %s: %v\n", args[0], err)
	return 1
}

var errUsage = errors.New("usage")

// buildVersion is what `civmap version` prints: "VERSION (commit REV)".
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionString(version, commit, info)
}

// versionString formats the version from the stamped values, falling back to info's module version and its
// vcs.revision and vcs.modified settings; it says so when neither knows the commit.
func versionString(version, commit string, info *debug.BuildInfo) string {
	modified := false
	if info != nil {
		if version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version == "" {
		version = "devel"
	}
	if commit == "" {
		return version + " (commit unknown: build with `make build` to stamp it)"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if modified && !strings.HasSuffix(version, "-dirty") {
		commit += ", modified"
	}
	return version + " (commit " + commit + ")"
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// useLogger makes l the default slog logger, which also routes the log package's output (goose's migration messages and
// other libraries') through l's handler, so that stderr has one format. It returns a function that restores the
// previous defaults (tests run commands one after another in one process).
func useLogger(l *slog.Logger) (restore func()) {
	prev, w, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(l)
	return func() {
		slog.SetDefault(prev)
		log.SetOutput(w)
		log.SetFlags(flags)
	}
}
