package facilities

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/edit/edithttp"
	"civmap/internal/httpx"
)

// StatusClosed is the status DELETE gives a facility: a register of facilities keeps a closed one (its record, its
// versions, its place on the register) marked 已停办 rather than erasing it, so that past coverage can be told.
const StatusClosed = "closed"

// editStore is what the writes need beyond Store: the versions of records (edithttp.Store).
type editStore interface {
	Store
	edithttp.Store
}

type validator struct{ divisions gazetteer.Store }

// exists is the Lookup of the divisions store; a store failure is kept for the caller.
func (v validator) exists(ctx context.Context, failed *error) gazetteer.Lookup {
	return func(code string) bool {
		_, err := v.divisions.Division(ctx, code)
		if err != nil && !errors.Is(err, apierr.ErrNotFound) && *failed == nil {
			*failed = err
		}
		return err == nil
	}
}

// check runs a Normalize* (with a division lookup) and then the territory check of a point in its township (as an
// import does: data/ingest).
func (v validator) check(ctx context.Context, normalize func(gazetteer.Lookup) apierr.Invalid, p orb.Point,
	township string) error {
	var failed error
	errs := normalize(v.exists(ctx, &failed))
	if failed != nil {
		return fmt.Errorf("checking division codes: %w", failed)
	}
	if len(errs) > 0 {
		return errs
	}
	errs, err := gazetteer.CheckPlacement(p, false, "township_code", []string{township},
		gazetteer.StoreTerritory(ctx, v.divisions))
	if err != nil {
		return fmt.Errorf("checking the territory: %w", err)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func point(what string) func(*orb.Point, orb.Geometry) error {
	return func(dst *orb.Point, g orb.Geometry) error {
		p, ok := g.(orb.Point)
		if !ok {
			return fmt.Errorf("%s's geometry is a Point, not %s", what, g.GeoJSONType())
		}
		*dst = p
		return nil
	}
}

func facilityRecords(st editStore, divisions gazetteer.Store) edithttp.Records[Facility] {
	v := validator{divisions}
	setPoint := point("a facility")
	return edithttp.Records[Facility]{Kind: edit.KindFacility, Prefix: "/api/facilities", Store: st,
		Key: func(f *Facility) *string { return &f.ID }, KeyField: "id",
		SetGeometry: func(f *Facility, g orb.Geometry) error { return setPoint(&f.Location, g) },
		Validate: func(ctx context.Context, f *Facility, _ *Facility) error {
			return v.check(ctx, func(l gazetteer.Lookup) apierr.Invalid { return NormalizeFacility(f, l) }, f.Location,
				f.TownshipCode)
		},
		Put: st.PutFacility,
		// DELETE closes the facility: a new version with status closed; the record stays (GET, lists, history).
		Delete: func(ctx context.Context, id string, cur Facility, expect int64, meta edit.Meta) (int64, error) {
			if cur.Status == StatusClosed {
				return 0, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "status",
					Reason: fmt.Sprintf("facility %q is already %s", id, StatusClosed)}})
			}
			cur.Status = StatusClosed
			meta.Action = "close"
			return st.PutFacility(ctx, cur, expect, meta)
		}}
}

func demandRecords(st editStore, divisions gazetteer.Store) edithttp.Records[DemandUnit] {
	v := validator{divisions}
	setPoint := point("a demand unit")
	return edithttp.Records[DemandUnit]{Kind: edit.KindDemand, Prefix: "/api/demand", Store: st,
		Key: func(d *DemandUnit) *string { return &d.Code }, KeyField: "code",
		SetGeometry: func(d *DemandUnit, g orb.Geometry) error { return setPoint(&d.Location, g) },
		Validate: func(ctx context.Context, d *DemandUnit, _ *DemandUnit) error {
			return v.check(ctx, func(l gazetteer.Lookup) apierr.Invalid { return NormalizeDemand(d, l) }, d.Location,
				d.TownshipCode)
		},
		Put: st.PutDemandUnit,
		// A demand unit is a statistic of a village-level unit: DELETE removes it (its versions stay).
		Delete: func(ctx context.Context, code string, _ DemandUnit, expect int64, meta edit.Meta) (int64, error) {
			return st.DeleteDemandUnit(ctx, code, expect, meta)
		}}
}

// editRoutes registers the writes and history of facilities and demand units, and GET /api/demand/{code}, when st
// keeps versions (both stores do; handler tests' fakes may not).
func editRoutes(sub *mux.Router, st Store, divisions gazetteer.Store) {
	es, ok := st.(editStore)
	if !ok {
		return
	}
	f, d := facilityRecords(es, divisions), demandRecords(es, divisions)
	f.Routes(sub, false)
	d.Routes(sub, true)
	edithttp.Kind{Kind: edit.KindFacility, Store: es, Distance: edithttp.Distance, Restore: edithttp.Restore(f)}.Routes(sub, f.Prefix)
	edithttp.Kind{Kind: edit.KindDemand, Store: es, Distance: edithttp.Distance, Restore: edithttp.Restore(d)}.Routes(sub, d.Prefix)
}

// DivisionReferences is the gazetteer.ReferenceCheck of facilities and demand units: a facility in township code, or
// the demand unit of village-level unit code (or of a village of township code).
func DivisionReferences(st Store) gazetteer.ReferenceCheck {
	return func(ctx context.Context, code string) (string, error) {
		if len(code) == 9 {
			page, err := st.Facilities(ctx, FacilityQuery{Township: code, Limit: 1})
			if err != nil {
				return "", err
			}
			if page.NumberMatched > 0 {
				return fmt.Sprintf("%d facilities (%s, …)", page.NumberMatched, page.Items[0].ID), nil
			}
			units, err := st.Demand(ctx, code)
			if err != nil {
				return "", err
			}
			if len(units) > 0 {
				return fmt.Sprintf("%d demand units (%s, …)", len(units), units[0].Code), nil
			}
		}
		if len(code) == 12 {
			if _, err := st.DemandUnit(ctx, code); err == nil {
				return fmt.Sprintf("demand unit %s", code), nil
			} else if !errors.Is(err, apierr.ErrNotFound) {
				return "", err
			}
		}
		return "", nil
	}
}
