package embedded

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"civmap/facilities"
)

// Facility returns one facility or an error wrapping apierr.ErrNotFound.
func (s *Store) Facility(ctx context.Context, id string) (facilities.Facility, error) {
	return getRecord(s, ctx, bucketFacilities, "facility", id, decodeFacility)
}

// Facilities lists the facilities matching q (exact type, status and township code; BBox with edges included),
// ordered by ID (byte order) and paged; Limit <= 0 means no limit.
func (s *Store) Facilities(ctx context.Context, q facilities.FacilityQuery) (facilities.FacilityPage, error) {
	if err := s.check(ctx); err != nil {
		return facilities.FacilityPage{}, err
	}
	s.mu.RLock()
	ids, n := s.facs.query(q)
	s.mu.RUnlock()
	items := make([]facilities.Facility, 0, len(ids))
	err := readKeys(nil, s.db, bucketFacilities, ids, decodeFacility, func(f facilities.Facility) { items = append(items, f) })
	if err != nil {
		return facilities.FacilityPage{}, err
	}
	return facilities.FacilityPage{Items: items, NumberMatched: n}, nil
}

// Demand lists the demand units of one township (exact code; "" means all), ordered by code.
func (s *Store) Demand(ctx context.Context, township string) ([]facilities.DemandUnit, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []facilities.DemandUnit
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEach(tx, bucketDemand, decodeDemand, func(d facilities.DemandUnit) {
			if township == "" || d.TownshipCode == township {
				out = append(out, d)
			}
		})
	})
	return out, err
}
