package inspection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Service runs inspections on a Store.
type Service struct {
	Store Store
	Now   func() time.Time // for import stamps; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RoundInput is the body of POST /api/boundary-lines/{id}/inspections.
type RoundInput struct {
	Year        int      `json:"year"`
	Teams       []Team   `json:"teams"`
	StartedOn   string   `json:"started_on"`
	EndedOn     string   `json:"ended_on"`
	ToleranceM  *float64 `json:"tolerance_m"`
	CorridorM   float64  `json:"corridor_m,omitempty"`
	MinGapAreaM float64  `json:"min_gap_area_m2,omitempty"`
	MinGapWidth float64  `json:"min_gap_width_m,omitempty"`
}

const dateLayout = "2006-01-02"

// parseDate parses an ISO date (YYYY-MM-DD).
func parseDate(s string) (time.Time, error) {
	return time.Parse(dateLayout, strings.TrimSpace(s))
}

// ValidateRound checks a round's input: a year 1949–2100, started_on and ended_on ISO dates in that year with
// ended_on ≥ started_on, a tolerance > 0 (metres; absent means DefaultToleranceM), teams with names, and non-negative
// check options. The error is an apierr.Invalid naming each field.
func ValidateRound(in RoundInput) (Round, error) {
	var bad apierr.Invalid
	r := Round{Year: in.Year, Teams: in.Teams, StartedOn: strings.TrimSpace(in.StartedOn), EndedOn: strings.TrimSpace(in.EndedOn),
		ToleranceM: DefaultToleranceM, CorridorM: in.CorridorM, MinGapAreaM: in.MinGapAreaM, MinGapWidth: in.MinGapWidth}
	if in.Year < 1949 || in.Year > 2100 {
		bad.Add("year", "must be a year from 1949 to 2100 (got %d)", in.Year)
	}
	var start, end time.Time
	var errS, errE error
	if r.StartedOn == "" {
		bad.Add("started_on", "is required: the first day of field work (YYYY-MM-DD)")
		errS = errors.New("missing")
	} else if start, errS = parseDate(r.StartedOn); errS != nil {
		bad.Add("started_on", "%q is not a date YYYY-MM-DD", r.StartedOn)
	} else if in.Year != 0 && start.Year() != in.Year {
		bad.Add("started_on", "%s is not in the round's year %d", r.StartedOn, in.Year)
	}
	if r.EndedOn == "" {
		bad.Add("ended_on", "is required: the last day of field work (YYYY-MM-DD)")
		errE = errors.New("missing")
	} else if end, errE = parseDate(r.EndedOn); errE != nil {
		bad.Add("ended_on", "%q is not a date YYYY-MM-DD", r.EndedOn)
	}
	if errS == nil && errE == nil && end.Before(start) {
		bad.Add("ended_on", "%s is before started_on %s", r.EndedOn, r.StartedOn)
	}
	if in.ToleranceM != nil {
		r.ToleranceM = *in.ToleranceM
		if !(r.ToleranceM > 0) || math.IsInf(r.ToleranceM, 0) || r.ToleranceM > 100 {
			bad.Add("tolerance_m", "must be more than 0 and at most 100 metres (got %v)", r.ToleranceM)
		}
	}
	for i, t := range in.Teams {
		if strings.TrimSpace(t.Name) == "" {
			bad.Add(fmt.Sprintf("teams[%d].name", i), "is required")
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"corridor_m", in.CorridorM}, {"min_gap_area_m2", in.MinGapAreaM}, {"min_gap_width_m", in.MinGapWidth}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			bad.Add(f.name, "must be a number ≥ 0 (0: the default)")
		}
	}
	if in.CorridorM != 0 && (in.CorridorM < 5 || in.CorridorM > 500) {
		bad.Add("corridor_m", "must be 5 to 500 metres (got %v)", in.CorridorM)
	}
	if len(bad) > 0 {
		return Round{}, bad
	}
	if r.Teams == nil {
		r.Teams = []Team{}
	}
	return r, nil
}

// CreateRound validates in and stores a new round of line lineID (inspector). The id is "<line>-<year>", or
// "<line>-<year>-<n>" for the n-th round of that year. Errors: apierr.ErrNotFound for an unknown line, apierr.Invalid.
func (s *Service) CreateRound(ctx context.Context, lineID string, in RoundInput) (Round, error) {
	if err := edit.Require(ctx, edit.RoleInspector); err != nil {
		return Round{}, err
	}
	r, err := ValidateRound(in)
	if err != nil {
		return Round{}, err
	}
	if _, err := s.Store.BoundaryLine(ctx, lineID); err != nil {
		return Round{}, err // the store's error names the line
	}
	r.LineID = lineID
	base := fmt.Sprintf("%s-%d", lineID, r.Year)
	existing, err := s.Store.Docs(ctx, KindRound, base)
	if err != nil {
		return Round{}, err
	}
	taken := map[string]bool{}
	for _, d := range existing {
		taken[d.ID] = true
	}
	r.ID = base
	for n := 2; taken[r.ID]; n++ {
		r.ID = fmt.Sprintf("%s-%d", base, n)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return Round{}, err
	}
	vs, err := s.Store.WriteDocs(ctx, []edit.DocWrite{{Kind: KindRound, ID: r.ID, Body: body}}, edit.MetaFor(ctx, "create"))
	if err != nil {
		return Round{}, err
	}
	r.Version = vs[0]
	return r, nil
}

// Round returns a stored round (apierr.ErrNotFound when none).
func (s *Service) Round(ctx context.Context, id string) (Round, error) {
	d, err := s.Store.Doc(ctx, KindRound, id)
	if err != nil {
		return Round{}, fmt.Errorf("inspection %q: %w", id, err)
	}
	r, err := edit.DecodeDoc[Round](d)
	if err != nil {
		return Round{}, err
	}
	r.Version = d.Version
	return r, nil
}
