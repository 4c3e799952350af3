package names

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// Finding states (不规范地名排查整治): found by a screening → confirmed by a reviewer → being rectified → done, or
// exempt with a reason. A closed finding (done, exempt) may be reopened (→ found) with a reason.
const (
	StateFound      = "found"
	StateConfirmed  = "confirmed"
	StateRectifying = "rectifying"
	StateDone       = "done"
	StateExempt     = "exempt"
)

// States lists the states in workflow order.
var States = []string{StateFound, StateConfirmed, StateRectifying, StateDone, StateExempt}

// moves are the allowed state changes.
var moves = map[string][]string{
	StateFound:      {StateConfirmed, StateExempt},
	StateConfirmed:  {StateRectifying, StateExempt, StateFound},
	StateRectifying: {StateDone, StateExempt, StateConfirmed},
	StateDone:       {StateFound},
	StateExempt:     {StateFound},
}

// TrackedFinding is a screening finding as tracked (document KindFindings): the finding, the record it concerns, the
// township it lies in (code and name), the division code it is filed under (the record's own code or the code it
// lies in), its state and the reason of the last move, and the screenings that first and last found it. ID is stable
// across screenings: rule, record and evidence.
type TrackedFinding struct {
	ID string `json:"id"`
	Finding
	Record         RecordRef `json:"record"`
	Point          []float64 `json:"point,omitempty"` // [lon, lat] of the record (EPSG:4490), for the map
	Division       string    `json:"division,omitempty"`
	Township       string    `json:"township,omitempty"`
	TownshipName   string    `json:"township_name,omitempty"`
	State          string    `json:"state"`
	Reason         string    `json:"reason,omitempty"`
	FirstScreening string    `json:"first_screening,omitempty"`
	LastScreening  string    `json:"last_screening,omitempty"`
	// Version is the document's version (set when read; not part of the stored body).
	Version int64 `json:"version,omitempty"`
}

// Screening is one run of the rules over a division (document KindScreenings).
type Screening struct {
	ID           string    `json:"id"`
	Division     string    `json:"division"`
	DivisionName string    `json:"division_name"`
	CreatedAt    time.Time `json:"created_at"`
	Actor        string    `json:"actor,omitempty"`
	Names        int       `json:"names"`       // names checked (divisions and places)
	DurationMS   float64   `json:"duration_ms"` // time the rules took, in milliseconds
	FindingIDs   []string  `json:"finding_ids"`
}

// TownshipSummary is one township's line of a report: findings by kind and by state, and the share closed (done or
// exempt) in percent.
type TownshipSummary struct {
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Total    int            `json:"total"`
	Kinds    map[string]int `json:"kinds"`
	States   map[string]int `json:"states"`
	Progress float64        `json:"progress_percent"`
}

// Report is a screening's report: the screening, its findings (by township code, kind, record) and the townships'
// summaries (by code; findings on the county itself under the county's code).
type Report struct {
	Screening Screening         `json:"screening"`
	Findings  []TrackedFinding  `json:"findings"`
	Townships []TownshipSummary `json:"townships"`
}

func findingID(sj Subject, f Finding) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", f.Rule, sj.Kind, sj.ID, sj.Name, f.Evidence.Word)
	for _, r := range f.Evidence.Records {
		fmt.Fprintf(h, "\x00%s/%s%s", r.Kind, r.ID, r.Code)
	}
	return "f-" + hex.EncodeToString(h.Sum(nil))[:16]
}

func newScreeningID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// Screen runs the rules over every division and published place in division (a held division code; its own record
// and everything under it) against all records held, and returns the report. With record set (editor role) it stores
// the screening and its findings (new ones found, known ones keeping their state) in one all-or-nothing batch;
// without, it writes nothing and shows the tracked states. Errors: apierr.Invalid naming "division", apierr.ErrNotFound
// for a division not held, edit.ErrForbidden.
func (s *Service) Screen(ctx context.Context, division string, record bool) (Report, error) {
	if record {
		if err := edit.Require(ctx, edit.RoleEditor); err != nil {
			return Report{}, err
		}
	}
	division = strings.TrimSpace(division)
	if _, err := gazetteer.CheckDivisionCode(division); err != nil {
		return Report{}, apierr.Field("division", "%v", err)
	}
	if s.recs == nil {
		return Report{}, fmt.Errorf("names: no records to screen")
	}
	e, err := s.Engine(ctx)
	if err != nil {
		return Report{}, err
	}
	subjects, divs, err := s.subjects(ctx, e)
	if err != nil {
		return Report{}, err
	}
	d, ok := divs[division]
	if !ok {
		return Report{}, fmt.Errorf("no division with code %s: %w", division, apierr.ErrNotFound)
	}
	start := time.Now()
	now := s.now()
	sc := Screening{ID: newScreeningID(now), Division: division, DivisionName: d.Name, CreatedAt: now.UTC()}
	if record {
		sc.Actor = edit.MetaFor(ctx, "screen").Actor
	}
	found := e.Screen(subjects, divs, division)
	sc.Names = found.names
	sc.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	fs := found.findings

	known := map[string]edit.Doc{}
	if s.docs != nil {
		ds, err := s.docs.Docs(ctx, KindFindings, "")
		if err != nil {
			return Report{}, err
		}
		for _, d := range ds {
			known[d.ID] = d
		}
	}
	var ws []edit.DocWrite
	for i := range fs {
		f := &fs[i]
		f.State, f.FirstScreening, f.LastScreening = StateFound, sc.ID, sc.ID
		expect := int64(0)
		if d, ok := known[f.ID]; ok {
			old, err := edit.DecodeDoc[TrackedFinding](d)
			if err != nil {
				return Report{}, err
			}
			f.State, f.Reason, f.FirstScreening, f.Version = old.State, old.Reason, old.FirstScreening, d.Version
			expect = d.Version
		}
		sc.FindingIDs = append(sc.FindingIDs, f.ID)
		if record {
			body := *f
			body.Version = 0
			b, err := json.Marshal(body)
			if err != nil {
				return Report{}, err
			}
			ws = append(ws, edit.DocWrite{Kind: KindFindings, ID: f.ID, Body: b, ExpectVersion: expect})
		}
	}
	if sc.FindingIDs == nil {
		sc.FindingIDs = []string{}
	}
	if record {
		if s.docs == nil {
			return Report{}, fmt.Errorf("names: no document store to record the screening")
		}
		b, err := json.Marshal(sc)
		if err != nil {
			return Report{}, err
		}
		ws = append(ws, edit.DocWrite{Kind: KindScreenings, ID: sc.ID, Body: b, ExpectVersion: 0})
		vs, err := s.docs.WriteDocs(ctx, ws, edit.MetaFor(ctx, "screen"))
		if err != nil {
			return Report{}, err
		}
		for i := range fs {
			fs[i].Version = vs[i]
		}
	}
	return buildReport(sc, fs, divs), nil
}

type screened struct {
	findings []TrackedFinding
	names    int
}

// Screen runs the rules over the subjects in division (their own code, or the code they lie in, starts with it)
// against all subjects. divs names the townships.
func (e *Engine) Screen(subjects []Subject, divs map[string]gazetteer.Division, division string) screened {
	ix := e.NewIndex(subjects)
	var in []int // the subjects screened
	for i, sj := range subjects {
		if strings.HasPrefix(sj.at(), division) {
			in = append(in, i)
		}
	}
	// Check the names on every core (Index.Check is safe for concurrent use), then merge in subject order.
	per := make([][]Finding, len(in))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(in)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(in); k += workers {
				per[k] = ix.Check(subjects[in[k]])
			}
		})
	}
	wg.Wait()
	out := screened{names: len(in)}
	seen := map[string]bool{}
	for k, i := range in {
		sj := subjects[i]
		for _, f := range per[k] {
			tf := TrackedFinding{ID: findingID(sj, f), Finding: f, Record: sj.Ref(), Division: sj.at(), Township: sj.township()}
			if seen[tf.ID] {
				continue
			}
			seen[tf.ID] = true
			if sj.Point != nil {
				tf.Point = []float64{sj.Point[0], sj.Point[1]}
			}
			if t, ok := divs[tf.Township]; ok {
				tf.TownshipName = t.Name
			}
			out.findings = append(out.findings, tf)
		}
	}
	return out
}

func buildReport(sc Screening, fs []TrackedFinding, divs map[string]gazetteer.Division) Report {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Township != b.Township {
			return a.Township < b.Township
		}
		if ka, kb := kindOrder(a.Kind), kindOrder(b.Kind); ka != kb {
			return ka < kb
		}
		if a.Division != b.Division {
			return a.Division < b.Division
		}
		return a.Rule < b.Rule
	})
	if fs == nil {
		fs = []TrackedFinding{}
	}
	by := map[string]*TownshipSummary{}
	var order []string
	for _, f := range fs {
		code := f.Township
		if code == "" {
			code = sc.Division
		}
		t := by[code]
		if t == nil {
			t = &TownshipSummary{Code: code, Name: divs[code].Name, Kinds: map[string]int{}, States: map[string]int{}}
			by[code] = t
			order = append(order, code)
		}
		t.Total++
		t.Kinds[f.Kind]++
		t.States[f.State]++
	}
	slices.Sort(order)
	out := Report{Screening: sc, Findings: fs, Townships: []TownshipSummary{}}
	for _, c := range order {
		t := by[c]
		t.Progress = float64(int(1000*float64(t.States[StateDone]+t.States[StateExempt])/float64(t.Total)+0.5)) / 10
		out.Townships = append(out.Townships, *t)
	}
	return out
}

// Screenings lists the screenings run, newest first (without their finding ids).
func (s *Service) Screenings(ctx context.Context) ([]Screening, error) {
	if s.docs == nil {
		return []Screening{}, nil
	}
	ds, err := s.docs.Docs(ctx, KindScreenings, "")
	if err != nil {
		return nil, err
	}
	out := make([]Screening, 0, len(ds))
	for i := len(ds) - 1; i >= 0; i-- {
		sc, err := edit.DecodeDoc[Screening](ds[i])
		if err != nil {
			return nil, err
		}
		sc.FindingIDs = nil
		out = append(out, sc)
	}
	return out, nil
}

// ScreeningReport rebuilds a stored screening's report with its findings' current states. Errors: apierr.ErrNotFound.
func (s *Service) ScreeningReport(ctx context.Context, id string) (Report, error) {
	if s.docs == nil {
		return Report{}, fmt.Errorf("no screening %q: %w", id, apierr.ErrNotFound)
	}
	d, err := s.docs.Doc(ctx, KindScreenings, id)
	if err != nil {
		return Report{}, fmt.Errorf("no screening %q: %w", id, err)
	}
	sc, err := edit.DecodeDoc[Screening](d)
	if err != nil {
		return Report{}, err
	}
	all, err := s.Findings(ctx, FindingQuery{})
	if err != nil {
		return Report{}, err
	}
	byID := make(map[string]TrackedFinding, len(all))
	for _, f := range all {
		byID[f.ID] = f
	}
	fs := make([]TrackedFinding, 0, len(sc.FindingIDs))
	for _, id := range sc.FindingIDs {
		if f, ok := byID[id]; ok {
			fs = append(fs, f)
		}
	}
	divs := map[string]gazetteer.Division{}
	if s.recs != nil {
		ds, err := s.recs.Divisions(ctx, gazetteer.DivisionQuery{})
		if err != nil {
			return Report{}, err
		}
		for _, d := range ds {
			divs[d.Code] = d
		}
	}
	return buildReport(sc, fs, divs), nil
}

// FindingQuery filters tracked findings; zero fields match all.
type FindingQuery struct {
	Division string // filed under a code starting with it
	Kind     string
	State    string
}

// Findings lists tracked findings matching q, ordered by id. Errors: apierr.Invalid naming "kind" or "state" for an
// unknown value.
func (s *Service) Findings(ctx context.Context, q FindingQuery) ([]TrackedFinding, error) {
	if q.Kind != "" && !slices.Contains(FindingKinds, q.Kind) {
		return nil, apierr.Field("kind", "unknown kind %q (want one of %s)", q.Kind, strings.Join(FindingKinds, " "))
	}
	if q.State != "" && !slices.Contains(States, q.State) {
		return nil, apierr.Field("state", "unknown state %q (want one of %s)", q.State, strings.Join(States, " "))
	}
	out := []TrackedFinding{}
	if s.docs == nil {
		return out, nil
	}
	ds, err := s.docs.Docs(ctx, KindFindings, "")
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		f, err := edit.DecodeDoc[TrackedFinding](d)
		if err != nil {
			return nil, err
		}
		f.Version = d.Version
		if (q.Division == "" || strings.HasPrefix(f.Division, q.Division)) && (q.Kind == "" || f.Kind == q.Kind) &&
			(q.State == "" || f.State == q.State) {
			out = append(out, f)
		}
	}
	return out, nil
}

// TrackedFinding returns one tracked finding. Errors: apierr.ErrNotFound.
func (s *Service) TrackedFinding(ctx context.Context, id string) (TrackedFinding, error) {
	if s.docs == nil {
		return TrackedFinding{}, fmt.Errorf("no finding %q: %w", id, apierr.ErrNotFound)
	}
	d, err := s.docs.Doc(ctx, KindFindings, id)
	if err != nil {
		return TrackedFinding{}, fmt.Errorf("no finding %q: %w", id, err)
	}
	f, err := edit.DecodeDoc[TrackedFinding](d)
	f.Version = d.Version
	return f, err
}

// MoveFinding moves a tracked finding to state (reviewer role), versioned and audited, expecting document version
// expect (edit.AnyVersion: whatever is current). Exempting and reopening need a reason. Errors: apierr.Invalid naming
// "state" (unknown) or "reason" (missing), a 409 naming "state" for a move the workflow does not allow,
// apierr.ErrNotFound, apierr.ErrVersionMismatch, edit.ErrForbidden.
func (s *Service) MoveFinding(ctx context.Context, id, state, reason string, expect int64) (TrackedFinding, error) {
	if err := edit.Require(ctx, edit.RoleReviewer); err != nil {
		return TrackedFinding{}, err
	}
	state, reason = strings.TrimSpace(state), strings.TrimSpace(reason)
	if !slices.Contains(States, state) {
		return TrackedFinding{}, apierr.Field("state", "unknown state %q (want one of %s)", state, strings.Join(States, " "))
	}
	f, err := s.TrackedFinding(ctx, id)
	if err != nil {
		return TrackedFinding{}, err
	}
	if expect != edit.AnyVersion && expect != f.Version {
		return TrackedFinding{}, fmt.Errorf("finding %q is at version %d, not %d: %w", id, f.Version, expect,
			apierr.ErrVersionMismatch)
	}
	if !slices.Contains(moves[f.State], state) {
		return TrackedFinding{}, httpx.WithStatus(http.StatusConflict, apierr.Field("state",
			"a %s finding cannot become %s (allowed: %s)", f.State, state, strings.Join(moves[f.State], ", ")))
	}
	if (state == StateExempt || state == StateFound) && reason == "" {
		return TrackedFinding{}, apierr.Field("reason", "is required to make a finding %s", state)
	}
	f.State, f.Reason = state, reason
	v := f.Version
	f.Version = 0
	b, err := json.Marshal(f)
	if err != nil {
		return TrackedFinding{}, err
	}
	vs, err := s.docs.WriteDocs(ctx, []edit.DocWrite{{Kind: KindFindings, ID: id, Body: b, ExpectVersion: v,
		Action: "state:" + state}}, edit.NewMeta(ctx, "state:"+state, reason))
	if err != nil {
		return TrackedFinding{}, err
	}
	f.Version = vs[0]
	return f, nil
}
