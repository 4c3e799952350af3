package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Fault is one inconsistency CheckStore found: the record it concerns and what is wrong.
type Fault struct {
	Kind    edit.Kind `json:"kind"`
	ID      string    `json:"id"`
	Problem string    `json:"problem"`
}

func (f Fault) String() string { return fmt.Sprintf("%s %q: %s", f.Kind, f.ID, f.Problem) }

// CheckSummary counts what CheckStore walked.
type CheckSummary struct {
	Records  int `json:"records"`  // current records of every kind, documents included
	Versions int `json:"versions"` // versions of those and of deleted records
	Audit    int `json:"audit"`    // audit entries read
	Faults   int `json:"faults"`   // faults reported
	Indexes  int `json:"indexes"`  // index entries a store-specific check verified (IndexChecker)
}

// IndexChecker is a store's own check of what CheckStore cannot see through the Store interface: its secondary
// indexes (bucket indexes, tile-id counters, grid columns) against its records. It reports each fault and returns the
// number of index entries it verified.
type IndexChecker interface {
	CheckIndexes(ctx context.Context, report func(Fault)) (int, error)
}

// CheckStore walks the whole store through its interface and reports every fault: each current record's history is
// numbered 1…n without gaps and ends in a version whose document is the record's (server-set fields aside), never in
// a delete; every version has exactly one OK audit entry naming it with the same action, and every OK audit entry
// names a version that exists; a record whose history ends in a write is stored, one whose history ends in a delete is
// not; a document's body is its last version's record. Then the store's IndexChecker, if it has one. It is the
// `civmap check-store` command; the crash tests run it after every restart.
func CheckStore(ctx context.Context, st Store, report func(Fault)) (CheckSummary, error) {
	var sum CheckSummary
	fault := func(kind edit.Kind, id, format string, args ...any) {
		sum.Faults++
		report(Fault{Kind: kind, ID: id, Problem: fmt.Sprintf(format, args...)})
	}
	type key struct {
		kind edit.Kind
		id   string
	}
	live := map[key][]byte{} // current record documents of the table kinds
	add := func(kind edit.Kind, id string, rec any) error {
		doc, err := Document(rec)
		if err != nil {
			return err
		}
		live[key{kind, id}] = doc
		return nil
	}
	if err := eachRecord(ctx, st, add); err != nil {
		return sum, err
	}

	// Audit first: it names every record ever written, deleted ones included, and documents' kinds.
	type link struct {
		action string
		n      int
	}
	audited := map[key]map[int64]*link{}
	var order []key
	for off := 0; ; {
		page, err := st.Audit(ctx, edit.AuditQuery{Limit: 10000, Offset: off})
		if err != nil {
			return sum, fmt.Errorf("check: audit: %w", err)
		}
		for _, e := range page.Items {
			sum.Audit++
			if e.Outcome != edit.OutcomeOK || e.Kind == "" {
				continue
			}
			k := key{e.Kind, e.TargetID}
			if audited[k] == nil {
				audited[k] = map[int64]*link{}
				order = append(order, k)
			}
			if l := audited[k][e.Version]; l != nil {
				l.n++
			} else {
				audited[k][e.Version] = &link{e.Action, 1}
			}
		}
		off += len(page.Items)
		if len(page.Items) == 0 || off >= page.NumberMatched {
			break
		}
	}
	for k := range live {
		if audited[k] == nil {
			audited[k] = map[int64]*link{}
			order = append(order, k)
		}
	}

	for _, k := range order {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		hist, err := st.History(ctx, k.kind, k.id)
		if errors.Is(err, apierr.ErrNotFound) {
			hist = nil
		} else if err != nil {
			return sum, fmt.Errorf("check: history of %s %q: %w", k.kind, k.id, err)
		}
		sum.Versions += len(hist)
		links := audited[k]
		for i, v := range hist {
			if v.Version != int64(i+1) || v.Kind != k.kind || v.ID != k.id {
				fault(k.kind, k.id, "version %d of the history is numbered %d (%s %q)", i+1, v.Version, v.Kind, v.ID)
			}
			switch l := links[v.Version]; {
			case l == nil:
				fault(k.kind, k.id, "version %d has no audit entry", v.Version)
			case l.n > 1:
				fault(k.kind, k.id, "version %d has %d audit entries", v.Version, l.n)
			case l.action != v.Meta.Action:
				fault(k.kind, k.id, "version %d was %q but its audit entry says %q", v.Version, v.Meta.Action, l.action)
			}
		}
		for n := range links {
			if n < 1 || n > int64(len(hist)) {
				fault(k.kind, k.id, "the audit log names version %d, which the history (%d versions) lacks", n, len(hist))
			}
		}
		var last *edit.Version
		if len(hist) > 0 {
			last = &hist[len(hist)-1]
		}
		doc, isLive := live[k]
		isTable := isTableKind(k.kind)
		if !isTable {
			d, err := st.Doc(ctx, k.kind, k.id)
			switch {
			case err == nil:
				isLive, doc = true, d.Body
				if d.Version != int64(len(hist)) {
					fault(k.kind, k.id, "the document is at version %d, its history at %d", d.Version, len(hist))
				}
			case !errors.Is(err, apierr.ErrNotFound):
				return sum, fmt.Errorf("check: document %s %q: %w", k.kind, k.id, err)
			}
		}
		if isLive {
			sum.Records++
		}
		switch {
		case isLive && last == nil:
			fault(k.kind, k.id, "stored, but has no history")
		case isLive && last.Deleted():
			fault(k.kind, k.id, "stored, but its history ends in a delete (version %d)", last.Version)
		case isLive && !sameContent(doc, last.Record, isTable):
			fault(k.kind, k.id, "the stored record differs from its last version (%d)", last.Version)
		case !isLive && last != nil && !last.Deleted():
			fault(k.kind, k.id, "its history ends in a write (version %d) but the record is not stored", last.Version)
		}
	}
	if ic, ok := st.(IndexChecker); ok {
		n, err := ic.CheckIndexes(ctx, func(f Fault) { sum.Faults++; report(f) })
		sum.Indexes = n
		if err != nil {
			return sum, fmt.Errorf("check: indexes: %w", err)
		}
	}
	return sum, nil
}

func isTableKind(k edit.Kind) bool {
	for _, t := range edit.Kinds {
		if k == t {
			return true
		}
	}
	return false
}

// sameContent compares a stored record's document with a version's: byte for byte for documents, and for table kinds
// as JSON with edit.ServerFields left out of the properties (a version may be written before the store stamps them).
func sameContent(stored, version []byte, table bool) bool {
	if !table {
		return bytes.Equal(stored, version)
	}
	canon := func(b []byte) string {
		var f map[string]any
		if json.Unmarshal(b, &f) != nil {
			return string(b)
		}
		if p, ok := f["properties"].(map[string]any); ok {
			for _, s := range edit.ServerFields {
				delete(p, s)
			}
		}
		out, _ := json.Marshal(f)
		return string(out)
	}
	return canon(stored) == canon(version)
}

// eachRecord calls add for every current record of the table kinds.
func eachRecord(ctx context.Context, st Store, add func(edit.Kind, string, any) error) error {
	divs, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		return fmt.Errorf("check: divisions: %w", err)
	}
	for _, d := range divs {
		if err := add(edit.KindDivision, d.Code, d); err != nil {
			return err
		}
	}
	const page = 5000
	for off := 0; ; off += page {
		p, err := st.Places(ctx, gazetteer.PlaceQuery{Statuses: gazetteer.Statuses, Limit: page, Offset: off})
		if err != nil {
			return fmt.Errorf("check: places: %w", err)
		}
		for _, pl := range p.Items {
			if err := add(edit.KindPlace, pl.ID, pl); err != nil {
				return err
			}
		}
		if len(p.Items) < page {
			break
		}
	}
	lines, err := st.BoundaryLines(ctx)
	if err != nil {
		return fmt.Errorf("check: boundary lines: %w", err)
	}
	for _, l := range lines {
		if err := add(edit.KindLine, l.ID, l); err != nil {
			return err
		}
		ms, err := st.Markers(ctx, l.ID)
		if err != nil {
			return fmt.Errorf("check: markers of %s: %w", l.ID, err)
		}
		for _, m := range ms {
			if err := add(edit.KindMarker, m.Number, m); err != nil {
				return err
			}
		}
	}
	for off := 0; ; off += page {
		p, err := st.Facilities(ctx, facilities.FacilityQuery{Limit: page, Offset: off})
		if err != nil {
			return fmt.Errorf("check: facilities: %w", err)
		}
		for _, f := range p.Items {
			if err := add(edit.KindFacility, f.ID, f); err != nil {
				return err
			}
		}
		if len(p.Items) < page {
			break
		}
	}
	dem, err := st.Demand(ctx, "")
	if err != nil {
		return fmt.Errorf("check: demand: %w", err)
	}
	for _, d := range dem {
		if err := add(edit.KindDemand, d.Code, d); err != nil {
			return err
		}
	}
	return nil
}
