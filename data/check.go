package data

import (
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

// CheckStore walks the whole store through its interface and reports every fault: each record's history is numbered
// 1…n without gaps; a current record's history ends in a version whose document is the record's (server-set fields
// aside), never in a delete, and a record whose history ends in a write is stored; every version has exactly one OK
// audit entry naming it with the same action, and every OK audit entry names a version that exists; a document's
// body and version are its last version's. Then the store's IndexChecker, if it has one. It reads the audit log and
// the versions once each (EachVersion), so its cost is linear in the store. It is the `civmap check-store` command;
// the crash tests run it after every restart.
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
	// The current records of the table kinds, as the hash of their document.
	live := map[key]string{}
	if err := eachRecord(ctx, st, func(kind edit.Kind, id string, rec any) error {
		doc, err := Document(rec)
		if err != nil {
			return err
		}
		live[key{kind, id}] = edit.Hash(doc)
		return nil
	}); err != nil {
		return sum, err
	}

	type link struct {
		action string
		n      int
	}
	audited := map[key]map[int64]*link{}
	// One read of the whole log (Limit 0): paging by offset would rescan it per page.
	page, err := st.Audit(ctx, edit.AuditQuery{})
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
		}
		if l := audited[k][e.Version]; l != nil {
			l.n++
		} else {
			audited[k][e.Version] = &link{e.Action, 1}
		}
	}

	// One record's versions at a time, as EachVersion groups them.
	var cur key
	var n int64
	var last edit.Version
	seen := map[key]bool{}
	docKinds := map[edit.Kind]bool{}
	finish := func() error {
		if n == 0 {
			return nil
		}
		k := cur
		seen[k] = true
		for v := range audited[k] {
			if v < 1 || v > n {
				fault(k.kind, k.id, "the audit log names version %d, which the history (%d versions) lacks", v, n)
			}
		}
		table := isTableKind(k.kind)
		var stored string
		isLive, same := false, false
		if table {
			stored, isLive = live[k]
			same = stored == edit.Hash(last.Record)
			if isLive && !same {
				// Most versions hold the stored document byte for byte; the others differ in server fields only.
				doc, err := recordDocument(ctx, st, k.kind, k.id)
				if err != nil {
					return err
				}
				same = contentOf(doc) == contentOf(last.Record)
			}
		} else {
			docKinds[k.kind] = true
			d, err := st.Doc(ctx, k.kind, k.id)
			switch {
			case err == nil:
				isLive, same = true, string(d.Body) == string(last.Record)
				if d.Version != last.Version {
					fault(k.kind, k.id, "the document is at version %d, its history at %d", d.Version, last.Version)
				}
			case !errors.Is(err, apierr.ErrNotFound):
				return fmt.Errorf("check: document %s %q: %w", k.kind, k.id, err)
			}
		}
		switch {
		case isLive && last.Deleted():
			fault(k.kind, k.id, "stored, but its history ends in a delete (version %d)", last.Version)
		case isLive && !same:
			fault(k.kind, k.id, "the stored record differs from its last version (%d)", last.Version)
		case !isLive && !last.Deleted():
			fault(k.kind, k.id, "its history ends in a write (version %d) but the record is not stored", last.Version)
		}
		if isLive {
			sum.Records++
		}
		return nil
	}
	err = st.EachVersion(ctx, func(v edit.Version) error {
		sum.Versions++
		if k := (key{v.Kind, v.ID}); k != cur || n == 0 {
			if err := finish(); err != nil {
				return err
			}
			cur, n = k, 0
		}
		n++
		if v.Version != n {
			fault(v.Kind, v.ID, "version %d of the history is numbered %d", n, v.Version)
		}
		switch l := audited[cur][v.Version]; {
		case l == nil:
			fault(v.Kind, v.ID, "version %d has no audit entry", v.Version)
		case l.n > 1:
			fault(v.Kind, v.ID, "version %d has %d audit entries", v.Version, l.n)
		case l.action != v.Meta.Action:
			fault(v.Kind, v.ID, "version %d was %q but its audit entry says %q", v.Version, v.Meta.Action, l.action)
		}
		last = v
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("check: versions: %w", err)
	}
	if err := finish(); err != nil {
		return sum, err
	}
	for k := range live {
		if !seen[k] {
			sum.Records++
			fault(k.kind, k.id, "stored, but has no history")
		}
	}
	for k, links := range audited {
		if !seen[k] {
			for v := range links {
				fault(k.kind, k.id, "the audit log names version %d, which the history (0 versions) lacks", v)
			}
		}
	}
	for kind := range docKinds {
		ds, err := st.Docs(ctx, kind, "")
		if err != nil {
			return sum, fmt.Errorf("check: documents %s: %w", kind, err)
		}
		for _, d := range ds {
			if !seen[key{kind, d.ID}] {
				fault(kind, d.ID, "stored, but has no history")
			}
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

// contentOf is the hash of a table record's document with edit.ServerFields left out of its properties (a version may
// be written before the store stamps them).
func contentOf(doc []byte) string {
	var f map[string]any
	if json.Unmarshal(doc, &f) != nil {
		return edit.Hash(doc)
	}
	if p, ok := f["properties"].(map[string]any); ok {
		for _, s := range edit.ServerFields {
			delete(p, s)
		}
	}
	out, _ := json.Marshal(f)
	return edit.Hash(out)
}

// recordDocument reads one current record of a table kind and returns its document.
func recordDocument(ctx context.Context, st Store, kind edit.Kind, id string) ([]byte, error) {
	var rec any
	var err error
	switch kind {
	case edit.KindPlace:
		rec, err = st.Place(ctx, id)
	case edit.KindDivision:
		rec, err = st.Division(ctx, id)
	case edit.KindLine:
		rec, err = st.BoundaryLine(ctx, id)
	case edit.KindMarker:
		rec, err = st.Marker(ctx, id)
	case edit.KindFacility:
		rec, err = st.Facility(ctx, id)
	case edit.KindDemand:
		rec, err = st.DemandUnit(ctx, id)
	default:
		return nil, fmt.Errorf("check: %s is not a table kind", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("check: read %s %q: %w", kind, id, err)
	}
	return Document(rec)
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
