package gazetteer

import (
	"context"

	"github.com/paulmach/orb"
)

// DivisionQuery filters divisions; zero fields match everything. Results are ordered by code.
type DivisionQuery struct {
	Level  Level
	Parent string // direct children of this code
}

// PlaceQuery filters places. Results are ordered by ID (byte order) and paged with Limit/Offset (Limit <= 0: no limit;
// a negative Offset counts as 0).
//   - Q: case-insensitive substring of the search text (SearchText: name, specific name, short name, aliases, pinyin);
//   - BBox: the place's geometry bound intersects it (lon/lat degrees);
//   - Division: some DivisionCodes entry starts with it (a township code finds the places of its villages too);
//   - Category: exact match;
//   - Statuses: one of these statuses; empty means current and historical (abolished records are hidden unless asked for).
type PlaceQuery struct {
	Q        string
	BBox     *orb.Bound
	Division string
	Category string
	Statuses []string
	Limit    int
	Offset   int
}

// PlacePage is one page of places and the number of places that match the query in all.
type PlacePage struct {
	Items         []Place
	NumberMatched int
}

// Store is what the gazetteer needs from persistence. Both stores (data/embedded, data/postgis) implement it and pass the
// same conformance suite (data/storetest). Errors wrap apierr.ErrNotFound, apierr.ErrConflict, apierr.ErrVersionMismatch.
type Store interface {
	// Division returns one division by code, or ErrNotFound.
	Division(ctx context.Context, code string) (Division, error)
	// Divisions lists divisions ordered by code.
	Divisions(ctx context.Context, q DivisionQuery) ([]Division, error)
	// Locate finds the township-level division whose polygon contains p (lon/lat) and its county, and the nearest
	// village-level unit by geodesic distance (metres, geo.Distance). A point inside no township polygon is ErrNotFound.
	// The county is the township's parent; where township polygons overlap, the lowest code wins.
	Locate(ctx context.Context, p orb.Point) (Location, error)

	// Place returns the current version of one place, or ErrNotFound.
	Place(ctx context.Context, id string) (Place, error)
	// Places lists places matching q.
	Places(ctx context.Context, q PlaceQuery) (PlacePage, error)
	// PlaceHistory returns every stored version of a place, oldest first, ending with the current one, or ErrNotFound.
	PlaceHistory(ctx context.Context, id string) ([]Place, error)
	// CreatePlace stores a new place (ErrConflict if the ID exists) with Version 1 and CreatedAt = UpdatedAt = now, and
	// returns it as stored. The caller has validated it.
	CreatePlace(ctx context.Context, p Place) (Place, error)
	// UpdatePlace replaces a place if its current version is expectVersion (else ErrVersionMismatch; ErrNotFound if
	// absent), keeps the old version in the history, sets Version+1, keeps CreatedAt, sets UpdatedAt = now.
	UpdatePlace(ctx context.Context, p Place, expectVersion int64) (Place, error)

	// BoundaryLines lists the boundary lines ordered by ID.
	BoundaryLines(ctx context.Context) ([]BoundaryLine, error)
	// BoundaryLine returns one line or ErrNotFound.
	BoundaryLine(ctx context.Context, id string) (BoundaryLine, error)
	// Markers lists a line's markers ordered by number (ErrNotFound if the line does not exist).
	Markers(ctx context.Context, lineID string) ([]Marker, error)
}
