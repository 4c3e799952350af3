package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/auth"
	"civmap/internal/edit"
)

const tokenUsage = `Usage:
  civmap token create --name NAME --role viewer|editor|reviewer|inspector|planner|admin [--data-dir DIR | --database-url URL]
  civmap token list   [--data-dir DIR | --database-url URL]
  civmap token revoke [--data-dir DIR | --database-url URL] NAME

create prints the new token once, alone on the last line of stdout; the store keeps only a salted hash of it. The
embedded store is one process's: stop civmap serve before running these on it.
`

// cmdToken makes, lists and revokes API tokens.
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "create":
		return tokenCreate(ctx, rest, stdout, stderr)
	case "list":
		return tokenList(ctx, rest, stdout, stderr)
	case "revoke":
		return tokenRevoke(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "civmap token: unknown subcommand %q\n\n%s", sub, tokenUsage)
		return errUsage
	}
}

// parseWithArgs parses args allowing flags after the positional arguments (token revoke NAME --data-dir DIR) and
// returns the positional ones.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openTokens opens the store for a token command, saying what to do when a running server holds the embedded store.
func openTokens(ctx context.Context, sf *storeFlags) (data.Store, error) {
	st, _, err := sf.open(ctx)
	if errors.Is(err, apierr.ErrStoreBusy) {
		return nil, fmt.Errorf("%w\nstop civmap serve first (the embedded store is one process's); a server that found no "+
			"token made a first admin token in %s", err, filepath.Join(sf.dataDir, adminTokenFile))
	}
	return st, err
}

func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("token create", "token create --name NAME --role ROLE [--data-dir DIR | --database-url URL]", stderr)
	var name, role string
	stringVar(fs, &name, "name", "CIVMAP_TOKEN_NAME", "", "the token's name, unique (the holder, e.g. 张三, or a service)")
	stringVar(fs, &role, "role", "CIVMAP_TOKEN_ROLE", "", "viewer, editor, reviewer, inspector, planner or admin")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || name == "" || role == "" {
		fmt.Fprintln(stderr, "civmap token create: give --name and --role, and nothing else")
		fs.Usage()
		return errUsage
	}
	if err := auth.CheckRole(edit.Role(role)); err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	if err := auth.CheckName(name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	st, err := openTokens(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	text, t, err := auth.Create(ctx, st, name, edit.Role(role))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created token %q with role %s; it is shown only this once (the store keeps only a hash):\n%s\n",
		t.Name, t.Role, text)
	return nil
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("token list", "token list [--data-dir DIR | --database-url URL]", stderr)
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return errUsage
	}
	st, err := openTokens(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tREVOKED")
	for _, t := range ts {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("token revoke", "token revoke [--data-dir DIR | --database-url URL] NAME", stderr)
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "civmap token revoke: give exactly one NAME")
		fs.Usage()
		return errUsage
	}
	st, err := openTokens(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	at := auth.Now()
	t, err := st.RevokeToken(ctx, pos[0], at)
	if errors.Is(err, apierr.ErrNotFound) {
		return fmt.Errorf("no token named %q (civmap token list shows them)", pos[0])
	}
	if err != nil {
		return err
	}
	if !t.RevokedAt.Equal(at) {
		fmt.Fprintf(stdout, "token %q was already revoked at %s\n", t.Name, t.RevokedAt.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(stdout, "revoked token %q (role %s)\n", t.Name, t.Role)
	return nil
}

// adminTokenFile is where serve writes the first admin token of an embedded store, in its data directory.
const adminTokenFile = "admin-token"

// firstAdminToken gives a store that has no tokens at all a first one, "admin" with role admin, so that a newcomer's
// `make run` can sign in: on the embedded store it is written to <data-dir>/admin-token (mode 0600) and the file's path
// logged; on PostGIS, where there is no data directory, the token itself is logged, once. A store with any token,
// revoked ones included, is left alone, and the log says so (a token made by `civmap token create` before the first
// serve means no admin-token file will appear).
func firstAdminToken(ctx context.Context, st auth.Store, sf *storeFlags, log *slog.Logger) error {
	ts, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		log.Info(fmt.Sprintf("the store holds %d tokens (revoked ones included): no first admin token made; "+
			"manage tokens with civmap token create/list/revoke", len(ts)), "tokens", len(ts))
		return nil
	}
	text, t, err := auth.Generate("admin", edit.RoleAdmin)
	if err != nil {
		return err
	}
	var path string
	if sf.databaseURL == "" {
		path = filepath.Join(sf.dataDir, adminTokenFile)
		if err := writeSecret(path, text+"\n"); err != nil {
			return fmt.Errorf("writing the first admin token: %w", err)
		}
	}
	if err := st.CreateToken(ctx, t); err != nil {
		if path != "" {
			os.Remove(path)
		}
		if errors.Is(err, apierr.ErrConflict) { // another server made it first
			return nil
		}
		return err
	}
	if path != "" {
		log.Warn("the store had no API token: created token \"admin\" (role admin) and wrote it to a file; use it as "+
			"Authorization: Bearer $(cat FILE), make your own tokens, then civmap token revoke admin", "file", path)
		return nil
	}
	log.Warn("the store had no API token: created token \"admin\" (role admin), shown only this once; make your own "+
		"tokens with it, then civmap token revoke admin", "token", text)
	return nil
}

// writeSecret writes s to path with mode 0600, replacing the file (and its mode) if it exists.
func writeSecret(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
