package gazetteer

import (
	"context"

	"github.com/paulmach/orb"

	"civmap/internal/edit"
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
//   - Statuses: one of these statuses; empty means current and historical (abolished records, drafts and submissions
//     are hidden unless asked for).
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
	// CreatePlace stores a new place (ErrConflict if the ID exists) with Version 1 and CreatedAt = UpdatedAt = now, and
	// returns it as stored. The caller has validated it. Like every write below, it appends an edit.Version (the record's
	// API document and meta) and an OK edit.AuditEntry in the same transaction.
	CreatePlace(ctx context.Context, p Place, meta edit.Meta) (Place, error)
	// UpdatePlace replaces a place if its current version is expectVersion (else ErrVersionMismatch; ErrNotFound if
	// absent), sets Version+1, keeps CreatedAt, sets UpdatedAt = now.
	UpdatePlace(ctx context.Context, p Place, expectVersion int64, meta edit.Meta) (Place, error)

	// PutDivision, PutBoundaryLine and PutMarker write one record and return its new version: with expectVersion 0 a
	// create (ErrConflict when the key exists; numbering continues after a deleted record's versions), otherwise a
	// replace of a record whose current version is expectVersion (ErrNotFound, ErrVersionMismatch). A marker's LineID
	// must name a stored line (apierr.Invalid naming "line_id").
	PutDivision(ctx context.Context, d Division, expectVersion int64, meta edit.Meta) (int64, error)
	PutBoundaryLine(ctx context.Context, l BoundaryLine, expectVersion int64, meta edit.Meta) (int64, error)
	PutMarker(ctx context.Context, m Marker, expectVersion int64, meta edit.Meta) (int64, error)
	// DeleteDivision, DeleteBoundaryLine and DeleteMarker remove a record whose current version is expectVersion and
	// return the delete's version (its Record is null); the history stays. A line that still has markers is
	// ErrConflict.
	DeleteDivision(ctx context.Context, code string, expectVersion int64, meta edit.Meta) (int64, error)
	DeleteBoundaryLine(ctx context.Context, id string, expectVersion int64, meta edit.Meta) (int64, error)
	DeleteMarker(ctx context.Context, number string, expectVersion int64, meta edit.Meta) (int64, error)

	// BoundaryLines lists the boundary lines ordered by ID.
	BoundaryLines(ctx context.Context) ([]BoundaryLine, error)
	// BoundaryLine returns one line or ErrNotFound.
	BoundaryLine(ctx context.Context, id string) (BoundaryLine, error)
	// History and Current read the versions of a record of any kind (edit.Store, edit.Current).
	History(ctx context.Context, kind edit.Kind, id string) ([]edit.Version, error)
	Current(ctx context.Context, kind edit.Kind, id string) (edit.Version, error)

	// Marker returns one marker by number or ErrNotFound.
	Marker(ctx context.Context, number string) (Marker, error)
	// Markers lists a line's markers ordered by number (ErrNotFound if the line does not exist).
	Markers(ctx context.Context, lineID string) ([]Marker, error)
}
