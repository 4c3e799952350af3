package gazetteer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/edit/edithttp"
	"civmap/internal/httpx"
)

// ReferenceCheck reports what outside the gazetteer still refers to a division code (facilities, demand units: records
// this package cannot see), as a short phrase such as `facility "f1"`, or "" when nothing does.
type ReferenceCheck func(ctx context.Context, code string) (string, error)

// divisionRecords, lineRecords and markerRecords are the generic writes (edithttp.Records) of the gazetteer's kinds
// other than places, validated as an import validates them (data/ingest): Normalize*, known references, and the
// territory check CheckPlacement against the store's townships.
func (s *Service) divisionRecords() edithttp.Records[Division] {
	return edithttp.Records[Division]{Kind: edit.KindDivision, Prefix: "/api/divisions", Store: s.store,
		Key: func(d *Division) *string { return &d.Code }, KeyField: "code",
		SetGeometry: func(d *Division, g orb.Geometry) error { d.Geometry = g; return nil },
		Validate:    s.validateDivision, Put: s.store.PutDivision, Delete: s.deleteDivision}
}

func (s *Service) lineRecords() edithttp.Records[BoundaryLine] {
	return edithttp.Records[BoundaryLine]{Kind: edit.KindLine, Prefix: "/api/boundary-lines", Store: s.store,
		Key: func(l *BoundaryLine) *string { return &l.ID }, KeyField: "id",
		SetGeometry: func(l *BoundaryLine, g orb.Geometry) error { l.Geometry = g; return nil },
		Validate:    s.validateLine, Put: s.store.PutBoundaryLine,
		Delete: func(ctx context.Context, id string, _ BoundaryLine, expect int64, meta edit.Meta) (int64, error) {
			n, err := s.store.DeleteBoundaryLine(ctx, id, expect, meta) // refused (409) while it has markers
			if errors.Is(err, apierr.ErrConflict) {
				return 0, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "id",
					Reason: fmt.Sprintf("boundary line %q still has markers; delete them first (%v)", id, err)}})
			}
			return n, err
		}}
}

func (s *Service) markerRecords() edithttp.Records[Marker] {
	return edithttp.Records[Marker]{Kind: edit.KindMarker, Prefix: "/api/markers", Store: s.store,
		Key: func(m *Marker) *string { return &m.Number }, KeyField: "number",
		SetGeometry: func(m *Marker, g orb.Geometry) error {
			p, ok := g.(orb.Point)
			if !ok {
				return fmt.Errorf("a marker's geometry is a Point, not %s", g.GeoJSONType())
			}
			m.Position = p
			return nil
		},
		Validate: s.validateMarker, Put: s.store.PutMarker,
		Delete: func(ctx context.Context, id string, _ Marker, expect int64, meta edit.Meta) (int64, error) {
			return s.store.DeleteMarker(ctx, id, expect, meta)
		}}
}

// recordRoutes registers the writes, and history, of divisions, boundary lines and markers (GET of a marker too;
// divisions and lines have their own GET).
func (s *Service) recordRoutes(sub *mux.Router) {
	d, l, m := s.divisionRecords(), s.lineRecords(), s.markerRecords()
	d.Routes(sub, false)
	l.Routes(sub, false)
	m.Routes(sub, true)
	edithttp.Kind{Kind: edit.KindDivision, Store: s.store, Distance: distance, Restore: edithttp.Restore(d)}.Routes(sub, d.Prefix)
	edithttp.Kind{Kind: edit.KindLine, Store: s.store, Distance: distance, Restore: edithttp.Restore(l)}.Routes(sub, l.Prefix)
	edithttp.Kind{Kind: edit.KindMarker, Store: s.store, Distance: distance, Restore: edithttp.Restore(m)}.Routes(sub, m.Prefix)
}

// placement is CheckPlacement against the store's territory; a store failure is returned as itself.
func (s *Service) placement(ctx context.Context, g orb.Geometry, onBoundary bool, field string, codes ...string) error {
	errs, err := CheckPlacement(g, onBoundary, field, codes, StoreTerritory(ctx, s.store))
	if err != nil {
		return fmt.Errorf("checking the territory: %w", err)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (s *Service) validateDivision(ctx context.Context, d *Division, cur *Division) error {
	if errs := NormalizeDivision(d); len(errs) > 0 {
		return errs
	}
	if cur != nil && cur.Level != d.Level {
		return apierr.Field("level", "a %s cannot become a %s; create the new division and delete this one", cur.Level, d.Level)
	}
	if d.Level == LevelCounty {
		return nil // the county is the territory the others are checked against
	}
	if d.ParentCode == "" {
		return apierr.Field("parent_code", "a %s-level division needs its parent's code", d.Level)
	}
	if err := s.checkDivisionRef(ctx, "parent_code", d.ParentCode); err != nil {
		return err
	}
	var parents []string
	if d.Level == LevelVillage {
		parents = []string{d.ParentCode}
	}
	if err := s.placement(ctx, d.Geometry, false, "parent_code", parents...); err != nil {
		return err
	}
	if d.Seat != nil {
		err := s.placement(ctx, *d.Seat, false, "parent_code", parents...)
		if inv, ok := apierr.AsInvalid(err); ok {
			for i := range inv {
				if inv[i].Field == "geometry" {
					inv[i].Field = "seat"
				}
			}
			return inv
		}
		return err
	}
	return nil
}

// deleteDivision removes a division that nothing refers to; one that still has child divisions, places, boundary
// lines or (ReferenceCheck) facilities or demand units is refused with 409 naming "code". The check runs before the
// store's delete, outside its transaction: a reference written between the two is not seen.
func (s *Service) deleteDivision(ctx context.Context, code string, _ Division, expect int64, meta edit.Meta) (int64, error) {
	var refs []string
	kids, err := s.store.Divisions(ctx, DivisionQuery{Parent: code})
	if err != nil {
		return 0, err
	}
	if len(kids) > 0 {
		refs = append(refs, fmt.Sprintf("%d child divisions (%s, …)", len(kids), kids[0].Code))
	}
	pp, err := s.store.Places(ctx, PlaceQuery{Division: code, Statuses: Statuses, Limit: 1})
	if err != nil {
		return 0, err
	}
	if pp.NumberMatched > 0 {
		refs = append(refs, fmt.Sprintf("%d places (%s, …)", pp.NumberMatched, pp.Items[0].ID))
	}
	lines, err := s.store.BoundaryLines(ctx)
	if err != nil {
		return 0, err
	}
	for _, l := range lines {
		if l.LeftCode == code || l.RightCode == code {
			refs = append(refs, fmt.Sprintf("boundary line %q", l.ID))
			break
		}
	}
	for _, check := range s.refs {
		ref, err := check(ctx, code)
		if err != nil {
			return 0, err
		}
		if ref != "" {
			refs = append(refs, ref)
		}
	}
	if len(refs) > 0 {
		return 0, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "code",
			Reason: fmt.Sprintf("division %s is still referred to by %s; change or delete those first", code,
				strings.Join(refs, ", "))}})
	}
	return s.store.DeleteDivision(ctx, code, expect, meta)
}

func (s *Service) validateLine(ctx context.Context, l *BoundaryLine, _ *BoundaryLine) error {
	if errs := NormalizeLine(l); len(errs) > 0 {
		return errs
	}
	if err := s.checkDivisionRef(ctx, "left_code", l.LeftCode); err != nil {
		return err
	}
	return s.placement(ctx, l.Geometry, true, "")
}

// markerFields maps NormalizeMarker's field names (the import's columns) to the API document's members.
var markerFields = map[string]string{"marker_no": "number", "line": "line_id", "marker_type": "type", "position": "geometry"}

func (s *Service) validateMarker(ctx context.Context, m *Marker, _ *Marker) error {
	if errs := NormalizeMarker(m); len(errs) > 0 {
		for i := range errs {
			if f, ok := markerFields[errs[i].Field]; ok {
				errs[i].Field = f
			}
		}
		return errs
	}
	if _, err := s.store.BoundaryLine(ctx, m.LineID); err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return apierr.Field("line_id", "unknown boundary line %q", m.LineID)
		}
		return err
	}
	if m.Registered.CRS == "" { // no survey record given: the register holds the position as entered
		m.Registered = RegisteredPosition{CRS: "EPSG:4490", AxisOrder: "lon,lat", First: m.Position[0], Second: m.Position[1]}
	}
	return s.placement(ctx, m.Position, true, "")
}
