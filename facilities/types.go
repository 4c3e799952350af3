// Package facilities owns eldercare, meal and community-service facilities, the elderly demand they serve, and (in later
// work) the layout plan, the coverage engine and site selection. Coordinates are CGCS2000 lon/lat (EPSG:4490).
package facilities

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"civmap/internal/edit"
)

// Types lists the facility types (DOMAIN.md §4) with their Chinese names.
var Types = map[string]string{
	"nursing_home":         "敬老院/养老机构",
	"home_care_center":     "居家养老服务中心",
	"home_care_station":    "居家养老服务站",
	"kangyang_union":       "康养联合体",
	"mutual_aid_courtyard": "农村互助颐养小院",
	"canteen":              "老年食堂",
	"shared_restaurant":    "共享餐厅",
	"meal_point":           "助餐点",
	"service_complex":      "社区服务综合体",
	"residents_station":    "小区居民自治服务站",
	"social_work_station":  "社会工作站",
}

// Statuses lists the facility statuses.
var Statuses = map[string]string{
	"existing":           "已建成",
	"under_construction": "在建",
	"planned":            "规划",
	StatusClosed:         "已停办", // DELETE's mark: the record is kept
}

// Facility is one facility at a point. Capacities are nil when unknown. Attributes hold anything else the source gives
// (provenance, operator, …).
type Facility struct {
	ID                  string         `json:"id"`
	Name                string         `json:"name"`
	Type                string         `json:"type"`
	Status              string         `json:"status"`
	TownshipCode        string         `json:"township_code"`
	CapacityBeds        *int           `json:"capacity_beds,omitempty"`
	CapacityMealsPerDay *int           `json:"capacity_meals_per_day,omitempty"`
	SmartTerminal       *bool          `json:"smart_terminal,omitempty"`
	Attributes          map[string]any `json:"attributes,omitempty"`
	Location            orb.Point      `json:"-"`
	Version             int64          `json:"version"`
	UpdatedAt           time.Time      `json:"updated_at"`
}

// DemandUnit is the elderly (60+) population of one village-level unit, placed at its point.
type DemandUnit struct {
	Code              string    `json:"code"`
	Name              string    `json:"name"`
	TownshipCode      string    `json:"township_code"`
	ElderlyPopulation int       `json:"elderly_population"`
	Location          orb.Point `json:"-"`
}

// FacilityQuery filters facilities; zero fields match everything. Results are ordered by ID and paged.
type FacilityQuery struct {
	Type     string
	Status   string
	Township string
	BBox     *orb.Bound
	Limit    int
	Offset   int
}

// FacilityPage is one page of facilities and the number that match in all.
type FacilityPage struct {
	Items         []Facility
	NumberMatched int
}

// Store is what this package needs from persistence (implemented by data/embedded and data/postgis).
type Store interface {
	// Facility returns one facility or apierr.ErrNotFound.
	Facility(ctx context.Context, id string) (Facility, error)
	// Facilities lists facilities matching q, ordered by ID.
	Facilities(ctx context.Context, q FacilityQuery) (FacilityPage, error)
	// Demand lists demand units ordered by code; township "" means all.
	Demand(ctx context.Context, township string) ([]DemandUnit, error)
	// DemandUnit returns one demand unit by code or apierr.ErrNotFound.
	DemandUnit(ctx context.Context, code string) (DemandUnit, error)

	// PutFacility and PutDemandUnit write one record in one transaction with its edit.Version and an OK
	// edit.AuditEntry, and return the new version: expectVersion 0 creates (apierr.ErrConflict when the key exists),
	// otherwise the record's current version must be expectVersion (apierr.ErrNotFound, apierr.ErrVersionMismatch).
	// A facility gets Version = the new version and UpdatedAt = now.
	PutFacility(ctx context.Context, f Facility, expectVersion int64, meta edit.Meta) (int64, error)
	PutDemandUnit(ctx context.Context, d DemandUnit, expectVersion int64, meta edit.Meta) (int64, error)
	// DeleteFacility and DeleteDemandUnit remove a record at expectVersion and return the delete's version.
	DeleteFacility(ctx context.Context, id string, expectVersion int64, meta edit.Meta) (int64, error)
	DeleteDemandUnit(ctx context.Context, code string, expectVersion int64, meta edit.Meta) (int64, error)
}
