package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civmap/facilities"
	"civmap/internal/apierr"
)

// Facility returns one facility or an error wrapping apierr.ErrNotFound.
func (s *Store) Facility(ctx context.Context, id string) (facilities.Facility, error) {
	if err := s.check(ctx); err != nil {
		return facilities.Facility{}, err
	}
	var f facilities.Facility
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketFacilities).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("facility %q: %w", id, apierr.ErrNotFound)
		}
		var err error
		f, err = decodeFacility(v)
		return err
	})
	return f, err
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
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFacilities)
		for _, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			f, err := decodeFacility(v)
			if err != nil {
				return err
			}
			items = append(items, f)
		}
		return nil
	})
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
		return tx.Bucket(bucketDemand).ForEach(func(_, v []byte) error {
			d, err := decodeDemand(v)
			if err != nil {
				return err
			}
			if township == "" || d.TownshipCode == township {
				out = append(out, d)
			}
			return nil
		})
	})
	return out, err
}
