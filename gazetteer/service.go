package gazetteer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// chinaStandardTime is the zone in which "the current year" of an abolition is taken (UTC+8).
func chinaStandardTime() *time.Location { return time.FixedZone("CST", 8*60*60) }

// Service owns the gazetteer's edit rules on top of a Store: input validation (NormalizePlace with a Lookup backed by
// the store), version checks (optimistic concurrency: every edit names the version it expects), and delete-as-abolish.
// Reads pass through with clearer errors. A Service is safe for concurrent use if its Store is.
//
// Errors: apierr.Invalid for bad input (each FieldError names the field: "lon", "division", "division_codes[0]",
// "geometry", …), apierr.ErrNotFound, apierr.ErrConflict, apierr.ErrVersionMismatch, and the store's own errors.
type Service struct {
	store  Store
	now    func() time.Time
	refs   []ReferenceCheck
	pinyin func(name string) string // derives a place's pinyin (SetPinyin); nil: none
}

// SetPinyin sets the func that spells a name in pinyin (gazetteer/names, injected: names imports gazetteer). A place
// created without pinyin then gets the derived spelling, and so does an edit that clears it or renames the place; a
// place saved with pinyin keeps it (set by hand to fix a polyphone); an edit that renames a place whose pinyin was the
// derived one re-derives it; an edit that keeps the name of a place stored without pinyin leaves it without.
func (s *Service) SetPinyin(derive func(name string) string) { s.pinyin = derive }

// derivePinyin fills in p's pinyin (see SetPinyin); cur is the stored version for an edit, nil for a create.
func (s *Service) derivePinyin(cur *Place, p *Place) {
	if s.pinyin == nil {
		return
	}
	renamed := cur != nil && p.Name != cur.Name
	if renamed && p.Pinyin == cur.Pinyin && cur.Pinyin == s.pinyin(cur.Name) {
		p.Pinyin = "" // the old spelling was derived, not set by hand: derive the new name's
	}
	// An edit that keeps the name of a record stored without pinyin stays a no-op (edit.Unchanged).
	keep := cur != nil && !renamed && cur.Pinyin == ""
	if !keep && strings.TrimSpace(p.Pinyin) == "" && strings.TrimSpace(p.Name) != "" {
		p.Pinyin = s.pinyin(strings.TrimSpace(p.Name))
	}
}

// NewService returns a Service over st; refs say what other packages' records refer to a division (DELETE of a
// division is refused while any does).
func NewService(st Store, refs ...ReferenceCheck) *Service {
	return &Service{store: st, now: time.Now, refs: refs}
}

// kindError is an error whose text is msg and which matches kind with errors.Is, so that a message can be exact
// ("the point … is not inside any township") and still map to the kind's status.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// Division returns one division by code. Errors: apierr.Invalid naming "code" for a malformed code, ErrNotFound.
func (s *Service) Division(ctx context.Context, code string) (Division, error) {
	if _, err := CheckDivisionCode(code); err != nil {
		return Division{}, apierr.Field("code", "%v", err)
	}
	d, err := s.store.Division(ctx, code)
	if errors.Is(err, apierr.ErrNotFound) {
		return Division{}, kindf(apierr.ErrNotFound, "no division with code %s", code)
	}
	return d, err
}

// Divisions lists divisions ordered by code. q.Level must be "", county, township or village (else Invalid naming
// "level"); q.Parent must be a well-formed, known division code or "" (else Invalid naming "parent").
func (s *Service) Divisions(ctx context.Context, q DivisionQuery) ([]Division, error) {
	switch q.Level {
	case "", LevelCounty, LevelTownship, LevelVillage:
	default:
		return nil, apierr.Field("level", "unknown level %q (want %s, %s or %s)", q.Level, LevelCounty, LevelTownship,
			LevelVillage)
	}
	if q.Parent != "" {
		if err := s.checkDivisionRef(ctx, "parent", q.Parent); err != nil {
			return nil, err
		}
	}
	return s.store.Divisions(ctx, q)
}

// checkDivisionRef checks that code names a held division; Invalid names field.
func (s *Service) checkDivisionRef(ctx context.Context, field, code string) error {
	if _, err := CheckDivisionCode(code); err != nil {
		return apierr.Field(field, "%v", err)
	}
	if _, err := s.store.Division(ctx, code); err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return apierr.Field(field, "unknown division code %q", code)
		}
		return err
	}
	return nil
}

// Locate answers which county, township-level unit and nearest village-level unit a point (lon/lat degrees, EPSG:4490)
// lies in. Errors: apierr.Invalid naming "lon" or "lat" for a NaN/Inf or out-of-range coordinate (lon outside
// [-180,180], lat outside [-90,90]); ErrNotFound with the message "the point lon,lat is not inside any township of the
// county" when no township polygon contains it.
func (s *Service) Locate(ctx context.Context, p orb.Point) (Location, error) {
	var errs apierr.Invalid
	for i, name := range [2]string{"lon", "lat"} {
		lim := 180.0
		if i == 1 {
			lim = 90
		}
		switch v := p[i]; {
		case math.IsNaN(v) || math.IsInf(v, 0):
			errs = append(errs, apierr.FieldError{Field: name, Reason: fmt.Sprintf("%v is not a finite number", v)})
		case v < -lim || v > lim:
			errs = append(errs, apierr.FieldError{Field: name, Reason: fmt.Sprintf("%v is outside [%v,%v] degrees", v, -lim, lim)})
		}
	}
	if len(errs) > 0 {
		return Location{}, errs
	}
	loc, err := s.store.Locate(ctx, p)
	if errors.Is(err, apierr.ErrNotFound) {
		return Location{}, kindf(apierr.ErrNotFound, "the point %s,%s is not inside any township of the county",
			fmtDeg(p[0]), fmtDeg(p[1]))
	}
	return loc, err
}

func fmtDeg(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Place returns the current version of a place, or ErrNotFound.
func (s *Service) Place(ctx context.Context, id string) (Place, error) {
	p, err := s.store.Place(ctx, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return Place{}, kindf(apierr.ErrNotFound, "no place with id %q", id)
	}
	return p, err
}

// Places lists places matching q (see PlaceQuery); with no statuses, a signed-in principal (any role) gets drafts and
// submissions too, anonymous requests current and historical only (drafts and submissions are staff-only even when
// asked for). It checks the query first, returning apierr.Invalid naming "status"
// (a status other than current, historical, abolished), "division" (a malformed or unknown division code), "bbox"
// (min > max or outside lon/lat range), "limit" or "offset" (negative).
func (s *Service) Places(ctx context.Context, q PlaceQuery) (PlacePage, error) {
	for _, st := range q.Statuses {
		if !slices.Contains(Statuses, st) {
			return PlacePage{}, apierr.Field("status", "unknown status %q (want a comma-separated list of %s)", st,
				strings.Join(Statuses, ", "))
		}
	}
	if staff(ctx) && len(q.Statuses) == 0 { // staff find their drafts and submissions too; abolished on request
		q.Statuses = []string{StatusDraft, StatusSubmitted, StatusCurrent, StatusHistorical}
	}
	if !staff(ctx) && len(q.Statuses) > 0 { // drafts and submissions are staff-only
		q.Statuses = slices.DeleteFunc(slices.Clone(q.Statuses), Unpublished)
		if len(q.Statuses) == 0 {
			return PlacePage{}, nil
		}
	}
	if q.BBox != nil {
		if err := geo.ValidateBound(*q.BBox); err != nil {
			return PlacePage{}, apierr.Field("bbox", "%s", strings.TrimPrefix(err.Error(), "geo: "))
		}
	}
	if q.Limit < 0 {
		return PlacePage{}, apierr.Field("limit", "must not be negative, got %d", q.Limit)
	}
	if q.Offset < 0 {
		return PlacePage{}, apierr.Field("offset", "must not be negative, got %d", q.Offset)
	}
	if q.Division != "" {
		if err := s.checkDivisionRef(ctx, "division", q.Division); err != nil {
			return PlacePage{}, err
		}
	}
	return s.store.Places(ctx, q)
}

// NewPlaceID returns a random RFC 9562 version 4 UUID in its 36-character text form, from crypto/rand.
func NewPlaceID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// CreatePlace validates p (NormalizePlace; unknown division codes are errors naming "division_codes[i]") and stores it as
// version 1, a draft: a status other than "" or draft is a 409 naming "status", since only the workflow (submit, then a
// reviewer's approve) makes a place current, and a non-empty approval or former_names a 409 naming each (the
// server's: approve writes the one, a rename appends to the other). An empty ID gets NewPlaceID. Version, CreatedAt and UpdatedAt in p are
// ignored (the store sets them). Errors: apierr.Invalid (nothing written), apierr.ErrConflict when the ID exists.
func (s *Service) CreatePlace(ctx context.Context, p Place) (Place, error) {
	if err := edit.Require(ctx, edit.RoleEditor); err != nil {
		return Place{}, err
	}
	p.ID = strings.TrimSpace(p.ID)
	if p.ID == "" {
		id, err := NewPlaceID()
		if err != nil {
			return Place{}, fmt.Errorf("generating a place id: %w", err)
		}
		p.ID = id
	}
	p.Version, p.CreatedAt, p.UpdatedAt = 0, time.Time{}, time.Time{}
	var errs apierr.Invalid
	switch p.Status = strings.TrimSpace(p.Status); p.Status {
	case "", StatusDraft:
		p.Status = StatusDraft // only the workflow (submit, approve) makes a place current
	default:
		errs = apierr.Invalid{{Field: "status",
			Reason: fmt.Sprintf("a new place is a %s (got %q); it becomes %s by submit and approve (POST /api/places/{id}/submit, …/approve)",
				StatusDraft, p.Status, StatusCurrent)}}
	}
	errs = append(errs, workflowFields(nil, nil, p)...) // a new place has neither approval nor former names
	if len(errs) > 0 {
		return Place{}, httpx.WithStatus(http.StatusConflict, errs)
	}
	s.derivePinyin(nil, &p)
	if err := s.normalize(ctx, &p); err != nil {
		return Place{}, err
	}
	out, err := s.store.CreatePlace(ctx, p, edit.MetaFor(ctx, "create"))
	if errors.Is(err, apierr.ErrConflict) {
		return Place{}, kindf(apierr.ErrConflict, "a place with id %q already exists", p.ID)
	}
	return out, err
}

// normalize runs NormalizePlace with a Lookup backed by the store, then CheckPlacement with the store's territory
// (inside the county, and a point inside the townships its division codes name). A store
// failure during either (other than ErrNotFound) is returned as itself, not as an unknown code or an outside place.
func (s *Service) normalize(ctx context.Context, p *Place) error {
	var lookupErr error
	exists := func(code string) bool {
		_, err := s.store.Division(ctx, code)
		if err != nil && !errors.Is(err, apierr.ErrNotFound) && lookupErr == nil {
			lookupErr = err
		}
		return err == nil
	}
	errs := NormalizePlace(p, exists)
	if len(errs) == 0 && lookupErr == nil {
		errs, lookupErr = CheckPlacement(p.Geometry, false, "division_codes", p.DivisionCodes, StoreTerritory(ctx, s.store))
	}
	if lookupErr != nil {
		return fmt.Errorf("checking division codes and territory: %w", lookupErr)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// ReplacePlace replaces the place id with p (a full replacement: fields absent from p are cleared) if its current version
// is expectVersion. p.ID must be id or empty. Server-controlled fields in p are ignored. Errors: ErrNotFound,
// ErrVersionMismatch (412), apierr.Invalid (nothing written).
func (s *Service) ReplacePlace(ctx context.Context, id string, p Place, expectVersion int64) (Place, error) {
	return s.EditPlace(ctx, id, expectVersion, func(Place) (Place, error) { return p, nil })
}

// EditPlace reads the current version of place id, checks it is expectVersion, lets edit compute the new record from
// it, validates the result and stores it as the next version. The result's ID must be id (or empty: id is kept);
// version and timestamps from edit are ignored. A published place's edit follows guardPublished (approval and
// former_names server-managed: 409; a rename or heritage change a reviewer's: 403; a rename's approving document from
// the request's body members: 422). Errors: ErrNotFound, ErrVersionMismatch, edit's error, apierr.Invalid (naming
// "id" when the ID would change).
func (s *Service) EditPlace(ctx context.Context, id string, expectVersion int64, change func(current Place) (Place, error)) (Place, error) {
	if err := edit.Require(ctx, edit.RoleEditor); err != nil {
		return Place{}, err
	}
	return s.update(ctx, id, expectVersion, true, "update", change)
}

func (s *Service) update(ctx context.Context, id string, expectVersion int64, validate bool, action string,
	change func(Place) (Place, error)) (Place, error) {
	cur, err := s.Place(ctx, id)
	if err != nil {
		return Place{}, err
	}
	if cur.Version != expectVersion {
		return Place{}, kindf(apierr.ErrVersionMismatch, "place %q is at version %d, not %d; GET it again and retry",
			id, cur.Version, expectVersion)
	}
	next, err := change(cur)
	if err != nil {
		return Place{}, err
	}
	next.ID = strings.TrimSpace(next.ID)
	if next.ID == "" {
		next.ID = id
	}
	if next.ID != id {
		return Place{}, apierr.Field("id", "the id %q differs from the record's id %q; ids cannot be changed", next.ID, id)
	}
	next.Version, next.CreatedAt, next.UpdatedAt = cur.Version, cur.CreatedAt, cur.UpdatedAt
	if validate {
		s.derivePinyin(&cur, &next)
		// The workflow's refusals (a role, a status, a server-managed field: 403, 409) come before the record's
		// validation (422), so that a write the principal may not make is refused as such whatever its content.
		nerr := s.normalize(ctx, &next)
		if _, invalid := apierr.AsInvalid(nerr); nerr != nil && !invalid {
			return Place{}, nerr
		}
		if next.Status != cur.Status {
			return Place{}, &statusConflict{kindf(apierr.ErrConflict, "status %q cannot become %q by an edit; use the workflow moves (submit, approve, reject, historical, DELETE)", cur.Status, next.Status)}
		}
		heritage, err := s.guardPublished(ctx, cur, &next, approvalFrom(ctx))
		if err != nil {
			var se *httpx.StatusError
			if bad, ok := apierr.AsInvalid(nerr); ok && !errors.As(err, &se) {
				if missing, ok := apierr.AsInvalid(err); ok { // both 422: the record's errors and the approval's
					return Place{}, append(slices.Clone(bad), missing...)
				}
			}
			return Place{}, err
		}
		if nerr != nil {
			return Place{}, nerr
		}
		if heritage {
			ctx = withHeritage(ctx, approvalFrom(ctx).heritage())
		}
	} else if !validate && next.Status == cur.Status && next.YearAbolished == cur.YearAbolished {
		return cur, nil // a move or delete that changes nothing writes nothing
	}
	if edit.Unchanged(cur, next) { // an identical PUT or an empty PATCH: no version, no audit entry
		return cur, nil
	}
	out, err := s.store.UpdatePlace(ctx, next, expectVersion, edit.MetaFor(ctx, action))
	switch {
	case errors.Is(err, apierr.ErrNotFound):
		return Place{}, kindf(apierr.ErrNotFound, "no place with id %q", id)
	case errors.Is(err, apierr.ErrVersionMismatch):
		return Place{}, kindf(apierr.ErrVersionMismatch, "place %q changed while it was being edited (expected version %d); GET it again and retry", id, expectVersion)
	}
	return out, err
}

// BoundaryLines lists the boundary lines ordered by ID.
func (s *Service) BoundaryLines(ctx context.Context) ([]BoundaryLine, error) {
	return s.store.BoundaryLines(ctx)
}

// BoundaryLine returns one boundary line, or ErrNotFound.
func (s *Service) BoundaryLine(ctx context.Context, id string) (BoundaryLine, error) {
	l, err := s.store.BoundaryLine(ctx, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return BoundaryLine{}, kindf(apierr.ErrNotFound, "no boundary line %q", id)
	}
	return l, err
}

// Markers lists the boundary markers of line lineID ordered by number, or ErrNotFound when the line does not exist.
func (s *Service) Markers(ctx context.Context, lineID string) ([]Marker, error) {
	m, err := s.store.Markers(ctx, lineID)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, kindf(apierr.ErrNotFound, "no boundary line %q", lineID)
	}
	return m, err
}
