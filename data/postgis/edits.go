package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/tiles"
)

// Single-record writes of the kinds other than places: a Put is a one-record import (write) whose guard locks the
// record and checks its version in the same transaction; a Delete removes the row and records a null version. Both
// append a version and an audit entry in that transaction.

// lockHead locks the row key=id of table (if it exists) and returns whether it exists and its latest version.
func lockHead(ctx context.Context, tx pgx.Tx, kind edit.Kind, table, key, id string) (bool, int64, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE `+key+` = $1 FOR UPDATE`, id).Scan(&one)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, 0, fmt.Errorf("postgis: lock %s %q: %w", kind, id, err)
	}
	exists := err == nil
	var v int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM versions WHERE kind = $1 AND id = $2`,
		string(kind), id).Scan(&v); err != nil {
		return false, 0, fmt.Errorf("postgis: version of %s %q: %w", kind, id, err)
	}
	return exists, v, nil
}

func (s *Store) put(ctx context.Context, kind edit.Kind, table, key, id string, b data.Batch, expect int64,
	meta edit.Meta) (int64, error) {
	meta.Action = data.PutAction(meta.Action, expect)
	ctx = WithPrimary(ctx)
	st, err := s.write(ctx, b, meta, writeOpts{force: true, guard: func(ctx context.Context, tx pgx.Tx) error {
		exists, v, err := lockHead(ctx, tx, kind, table, key, id)
		if err != nil {
			return err
		}
		return data.CheckWrite(kind, id, exists, v, expect)
	}})
	if err != nil {
		return 0, err
	}
	if len(st.Results) != 1 {
		return 0, fmt.Errorf("postgis: put %s %q wrote %d records", kind, id, len(st.Results))
	}
	return st.Results[0].Version, nil
}

// PutDivision creates (expect 0) or replaces a division (see gazetteer.Store).
func (s *Store) PutDivision(ctx context.Context, d gazetteer.Division, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindDivision, "divisions", "code", d.Code, data.Batch{Divisions: []gazetteer.Division{d}}, expect, meta)
}

// PutBoundaryLine creates (expect 0) or replaces a boundary line.
func (s *Store) PutBoundaryLine(ctx context.Context, l gazetteer.BoundaryLine, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindLine, "boundary_lines", "id", l.ID, data.Batch{Lines: []gazetteer.BoundaryLine{l}}, expect, meta)
}

// PutMarker creates (expect 0) or replaces a boundary marker; its line must be stored.
func (s *Store) PutMarker(ctx context.Context, m gazetteer.Marker, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindMarker, "markers", "number", m.Number, data.Batch{Markers: []gazetteer.Marker{m}}, expect, meta)
}

// PutFacility creates (expect 0) or replaces a facility (Version and UpdatedAt set by the store).
func (s *Store) PutFacility(ctx context.Context, f facilities.Facility, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindFacility, "facilities", "id", f.ID, data.Batch{Facilities: []facilities.Facility{f}}, expect, meta)
}

// PutDemandUnit creates (expect 0) or replaces a demand unit.
func (s *Store) PutDemandUnit(ctx context.Context, d facilities.DemandUnit, expect int64, meta edit.Meta) (int64, error) {
	return s.put(ctx, edit.KindDemand, "demand_units", "code", d.Code, data.Batch{Demand: []facilities.DemandUnit{d}}, expect, meta)
}

// Marker returns one marker by number, or apierr.ErrNotFound.
func (s *Store) Marker(ctx context.Context, number string) (gazetteer.Marker, error) {
	m, err := scanMarker(s.read(ctx).QueryRow(ctx, `SELECT `+markerCols+` FROM markers WHERE number = $1`, number))
	if err != nil {
		return m, noRows(err, fmt.Errorf("marker %q: %w", number, apierr.ErrNotFound), "marker")
	}
	return m, nil
}

// DemandUnit returns one demand unit by code, or apierr.ErrNotFound.
func (s *Store) DemandUnit(ctx context.Context, code string) (facilities.DemandUnit, error) {
	d, err := scanDemand(s.read(ctx).QueryRow(ctx, `SELECT `+demandCols+` FROM demand_units WHERE code = $1`, code))
	if err != nil {
		return d, noRows(err, fmt.Errorf("demand unit %q: %w", code, apierr.ErrNotFound), "demand unit")
	}
	return d, nil
}

// del deletes key=id of table at version expect; old reads the stored record as a batch (for the tile change).
func (s *Store) del(ctx context.Context, kind edit.Kind, table, key, id string, expect int64, meta edit.Meta,
	old func(ctx context.Context) (data.Batch, error)) (int64, error) {
	if meta.Action == "" {
		meta.Action = "delete"
	}
	ctx = WithPrimary(ctx)
	var v int64
	var change tiles.Change
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		exists, head, err := lockHead(ctx, tx, kind, table, key, id)
		if err != nil {
			return err
		}
		if !exists {
			return data.NotFound(kind, id)
		}
		if err := data.CheckWrite(kind, id, true, head, expect); err != nil {
			return err
		}
		b, err := old(ctx)
		if err != nil {
			return err
		}
		if change, err = importChange(ctx, tx, &b); err != nil {
			return err
		}
		if err := s.publishTiles(ctx, tx, change); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+key+` = $1`, id); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23503" {
				return fmt.Errorf("%s %q is still referred to (%s); delete those first: %w", kind, id, pe.Detail,
					apierr.ErrConflict)
			}
			return fmt.Errorf("postgis: delete %s %q: %w", kind, id, err)
		}
		v = head + 1
		return appendVersion(ctx, tx, verRow{kind: kind, id: id, version: v, meta: meta})
	})
	if err != nil {
		return 0, err
	}
	s.committed(ctx)
	s.notifyTiles(change)
	return v, nil
}

// DeleteDivision removes a division at version expect.
func (s *Store) DeleteDivision(ctx context.Context, code string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindDivision, "divisions", "code", code, expect, meta, func(ctx context.Context) (data.Batch, error) {
		d, err := s.Division(ctx, code)
		return data.Batch{Divisions: []gazetteer.Division{d}}, err
	})
}

// DeleteBoundaryLine removes a boundary line at version expect; one that still has markers is ErrConflict.
func (s *Store) DeleteBoundaryLine(ctx context.Context, id string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindLine, "boundary_lines", "id", id, expect, meta, func(ctx context.Context) (data.Batch, error) {
		l, err := s.BoundaryLine(ctx, id)
		return data.Batch{Lines: []gazetteer.BoundaryLine{l}}, err
	})
}

// DeleteMarker removes a boundary marker at version expect.
func (s *Store) DeleteMarker(ctx context.Context, number string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindMarker, "markers", "number", number, expect, meta, func(ctx context.Context) (data.Batch, error) {
		m, err := s.Marker(ctx, number)
		return data.Batch{Markers: []gazetteer.Marker{m}}, err
	})
}

// DeleteFacility removes a facility at version expect.
func (s *Store) DeleteFacility(ctx context.Context, id string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindFacility, "facilities", "id", id, expect, meta, func(ctx context.Context) (data.Batch, error) {
		f, err := s.Facility(ctx, id)
		return data.Batch{Facilities: []facilities.Facility{f}}, err
	})
}

// DeleteDemandUnit removes a demand unit at version expect.
func (s *Store) DeleteDemandUnit(ctx context.Context, code string, expect int64, meta edit.Meta) (int64, error) {
	return s.del(ctx, edit.KindDemand, "demand_units", "code", code, expect, meta, func(ctx context.Context) (data.Batch, error) {
		d, err := s.DemandUnit(ctx, code)
		return data.Batch{Demand: []facilities.DemandUnit{d}}, err
	})
}
