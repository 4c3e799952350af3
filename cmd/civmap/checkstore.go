package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"civmap/data"
)

// errFaults is check-store's error when it found faults (exit status 1, after the faults are printed).
type errFaults int

func (e errFaults) Error() string { return fmt.Sprintf("%d faults found", int(e)) }

// cmdCheckStore walks the store (data.CheckStore): it prints each fault on a line of its own, then a JSON summary
// {"records","versions","audit","indexes","faults"}, and fails when it found any fault. It opens the store read-only
// (the embedded store: stop `civmap serve` first; PostGIS: runs beside it).
func cmdCheckStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newStoreFlagSet("check-store", "check-store [--data-dir DIR | --database-url URL]", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, _, err := sf.openMode(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := data.CheckStore(ctx, st, func(f data.Fault) { fmt.Fprintln(stdout, "fault:", f) })
	if err != nil {
		return err
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintln(stdout, string(b))
	if sum.Faults > 0 {
		return errFaults(sum.Faults)
	}
	return nil
}
