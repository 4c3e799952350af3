package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"civmap/facilities"
	"civmap/internal/apierr"
	"civmap/internal/jsonx"
)

const facilityCols = `id, name, type, status, township_code, capacity_beds, capacity_meals_per_day, smart_terminal,
	attributes, ST_AsBinary(geom), version, updated_at`

func scanFacility(row pgx.Row) (facilities.Facility, error) {
	var f facilities.Facility
	var attrs, geom []byte
	if err := row.Scan(&f.ID, &f.Name, &f.Type, &f.Status, &f.TownshipCode, &f.CapacityBeds, &f.CapacityMealsPerDay,
		&f.SmartTerminal, &attrs, &geom, &f.Version, &f.UpdatedAt); err != nil {
		return f, err
	}
	if attrs != nil {
		if err := jsonx.Unmarshal(attrs, &f.Attributes); err != nil {
			return f, fmt.Errorf("facility %q: decode attributes: %w", f.ID, err)
		}
	}
	f.UpdatedAt = f.UpdatedAt.UTC()
	var err error
	f.Location, err = pointFromWKB(geom)
	return f, err
}

// attributesJSON stores an empty map as NULL (read back as nil, as JSON's omitempty does in the embedded store).
func attributesJSON(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

// Facility returns one facility, or apierr.ErrNotFound.
func (s *Store) Facility(ctx context.Context, id string) (facilities.Facility, error) {
	f, err := scanFacility(s.read(ctx).QueryRow(ctx, `SELECT `+facilityCols+` FROM facilities WHERE id = $1`, id))
	if err != nil {
		return f, noRows(err, fmt.Errorf("facility %q: %w", id, apierr.ErrNotFound), "facility")
	}
	return f, nil
}

// Facilities lists the facilities matching q (BBox: location inside it, edges included, lon/lat), ordered by ID in byte
// order; Limit ≤ 0 means all. NumberMatched and the page are read in one snapshot.
func (s *Store) Facilities(ctx context.Context, q facilities.FacilityQuery) (facilities.FacilityPage, error) {
	var w where
	if q.Type != "" {
		w.add(`type = ?`, q.Type)
	}
	if q.Status != "" {
		w.add(`status = ?`, q.Status)
	}
	if q.Township != "" {
		w.add(`township_code = ?`, q.Township)
	}
	if b := q.BBox; b != nil {
		w.add(bboxCond, b.Min[0], b.Min[1], b.Max[0], b.Max[1], b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	}
	items, n, err := queryPage(ctx, s.read(ctx), "facilities", facilityCols, &w, q.Limit, q.Offset, scanFacility)
	if err != nil {
		return facilities.FacilityPage{}, fmt.Errorf("postgis: facilities: %w", err)
	}
	return facilities.FacilityPage{Items: items, NumberMatched: n}, nil
}

const demandCols = `code, name, township_code, elderly_population, ST_AsBinary(geom)`

func scanDemand(row pgx.Row) (facilities.DemandUnit, error) {
	var d facilities.DemandUnit
	var geom []byte
	if err := row.Scan(&d.Code, &d.Name, &d.TownshipCode, &d.ElderlyPopulation, &geom); err != nil {
		return d, err
	}
	var err error
	d.Location, err = pointFromWKB(geom)
	return d, err
}

// Demand lists the demand units of a township-level division ("" for all), ordered by code in byte order.
func (s *Store) Demand(ctx context.Context, township string) ([]facilities.DemandUnit, error) {
	var w where
	if township != "" {
		w.add(`township_code = ?`, township)
	}
	rows, err := s.read(ctx).Query(ctx, `SELECT `+demandCols+`
		FROM demand_units`+w.sql()+` ORDER BY code COLLATE "C"`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: demand: %w", err)
	}
	out, err := collect(rows, scanDemand)
	if err != nil {
		return nil, fmt.Errorf("postgis: demand: %w", err)
	}
	return out, nil
}
