package names

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// Document kinds of this package (edit.DocStore).
const (
	// KindLists holds the edited lists, one document per list (id = List* name, body {"entries": [...]}); a list
	// never written is the embedded default.
	KindLists edit.Kind = "name-lists"
	// KindFindings holds tracked screening findings (id = the finding's stable id, body TrackedFinding).
	KindFindings edit.Kind = "name-findings"
	// KindScreenings holds one document per screening run (id = its id, body Screening).
	KindScreenings edit.Kind = "name-screenings"
)

// MaxNameInput is the longest name the API accepts, in characters (a longer one is a 400; up to it, a long name is a
// format finding).
const MaxNameInput = 500

// Records is what the rules read of the gazetteer: every division and the published places. gazetteer.Store (both
// stores) implements it.
type Records interface {
	Divisions(ctx context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error)
	Places(ctx context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error)
}

// Service spells, checks and screens names over the lists kept as documents in docs (the embedded defaults for a list
// never edited) and the records of recs. Either may be nil: without docs the lists are the defaults and cannot be
// edited; without recs there are no duplicate or location checks and no screenings. Safe for concurrent use.
type Service struct {
	docs edit.DocStore
	recs Records
	now  func() time.Time

	mu  sync.Mutex
	eng *Engine
	at  time.Time

	ixMu  sync.Mutex
	ix    *Index // the records indexed for Check, built at ixAt with ixEng
	ixEng *Engine
	ixAt  time.Time
}

// checkTTL is how long Check reuses its index of the records (a name saved meanwhile is compared from then on):
// reading every record for each check would cost seconds on a store of a million places.
const checkTTL = 5 * time.Second

// listTTL is how long a loaded set of lists is used before the documents are read again (another process may have
// edited them; this process's own edits reload at once).
const listTTL = 2 * time.Second

// NewService returns a Service over docs and recs (either may be nil).
func NewService(docs edit.DocStore, recs Records) *Service {
	return &Service{docs: docs, recs: recs, now: time.Now}
}

type listDoc struct {
	Entries json.RawMessage `json:"entries"`
}

// Engine returns the rules engine over the current lists.
func (s *Service) Engine(ctx context.Context) (*Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eng != nil && s.now().Sub(s.at) < listTTL {
		return s.eng, nil
	}
	l, _, err := s.lists(ctx)
	if err != nil {
		return nil, err
	}
	e, err := NewEngine(l)
	if err != nil {
		return nil, fmt.Errorf("stored name lists: %w", err)
	}
	s.eng, s.at = e, s.now()
	return e, nil
}

// lists reads the stored lists over the defaults; versions maps each list to its document version (0: the default).
func (s *Service) lists(ctx context.Context) (Lists, map[string]int64, error) {
	l := DefaultLists()
	versions := map[string]int64{}
	for _, n := range ListNames {
		versions[n] = 0
	}
	if s.docs == nil {
		return l, versions, nil
	}
	ds, err := s.docs.Docs(ctx, KindLists, "")
	if err != nil {
		return l, nil, err
	}
	for _, d := range ds {
		body, err := edit.DecodeDoc[listDoc](d)
		if err != nil {
			return l, nil, err
		}
		if err := setList(&l, d.ID, body.Entries); err != nil {
			return l, nil, fmt.Errorf("stored list %q: %w", d.ID, err)
		}
		versions[d.ID] = d.Version
	}
	return l, versions, nil
}

// setList decodes entries into the list named name. Errors: an unknown list (apierr.ErrNotFound), entries that are not
// an array of the list's entry objects (apierr.Invalid naming "entries").
func setList(l *Lists, name string, entries json.RawMessage) error {
	dec := func(v any) error {
		if len(entries) == 0 || string(entries) == "null" {
			return apierr.Field("entries", "is required: an array of the list's entries")
		}
		if err := json.Unmarshal(entries, v); err != nil {
			return apierr.Field("entries", "must be an array of entry objects: %v", err)
		}
		return nil
	}
	switch name {
	case ListGenerics:
		return dec(&l.Generics)
	case ListReadings:
		return dec(&l.Readings)
	case ListDa:
		return dec(&l.Da)
	case ListYang:
		return dec(&l.Yang)
	case ListGuai:
		return dec(&l.Guai)
	case ListLocalChars:
		return dec(&l.LocalChars)
	case ListTraditional:
		return dec(&l.Traditional)
	}
	return fmt.Errorf("no list %q (lists: %s): %w", name, strings.Join(ListNames, ", "), apierr.ErrNotFound)
}

// listEntries returns the entries of list name in l.
func listEntries(l Lists, name string) (any, bool) {
	switch name {
	case ListGenerics:
		return l.Generics, true
	case ListReadings:
		return l.Readings, true
	case ListDa:
		return l.Da, true
	case ListYang:
		return l.Yang, true
	case ListGuai:
		return l.Guai, true
	case ListLocalChars:
		return l.LocalChars, true
	case ListTraditional:
		return l.Traditional, true
	}
	return nil, false
}

// ListInfo is one list as the API shows it: its name, document version (0 while it is the embedded default) and entries.
type ListInfo struct {
	List    string `json:"list"`
	Version int64  `json:"version"`
	Entries any    `json:"entries"`
}

// List returns one list. Errors: apierr.ErrNotFound for an unknown list name.
func (s *Service) List(ctx context.Context, name string) (ListInfo, error) {
	l, versions, err := s.lists(ctx)
	if err != nil {
		return ListInfo{}, err
	}
	e, ok := listEntries(l, name)
	if !ok {
		return ListInfo{}, fmt.Errorf("no list %q (lists: %s): %w", name, strings.Join(ListNames, ", "), apierr.ErrNotFound)
	}
	return ListInfo{List: name, Version: versions[name], Entries: e}, nil
}

// AllLists returns every list in ListNames order.
func (s *Service) AllLists(ctx context.Context) ([]ListInfo, error) {
	out := make([]ListInfo, 0, len(ListNames))
	for _, n := range ListNames {
		li, err := s.List(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, li)
	}
	return out, nil
}

// PutList replaces list name with entries (reviewer role), expecting document version expect (edit.AnyVersion, 0 to
// replace the default, or the current version) and returns the new version. The whole set of lists is checked with
// the new one before writing (NewEngine): a reading whose syllable count differs from its word's characters, a bad
// class, a duplicate is an apierr.Invalid naming the entry ("entries[3].pinyin"). Errors also: edit.ErrForbidden,
// apierr.ErrNotFound (unknown list), apierr.ErrVersionMismatch, apierr.ErrConflict.
func (s *Service) PutList(ctx context.Context, name string, entries json.RawMessage, expect int64) (int64, error) {
	if err := edit.Require(ctx, edit.RoleReviewer); err != nil {
		return 0, err
	}
	if s.docs == nil {
		return 0, errors.New("names: no document store to keep edited lists")
	}
	l, _, err := s.lists(ctx)
	if err != nil {
		return 0, err
	}
	if err := setList(&l, name, entries); err != nil {
		return 0, err
	}
	if _, err := NewEngine(l); err != nil {
		if inv, ok := apierr.AsInvalid(err); ok {
			// Name the entry as the request body does: "readings[3].pinyin" → "entries[3].pinyin".
			out := make(apierr.Invalid, 0, len(inv))
			for _, fe := range inv {
				if rest, ok := strings.CutPrefix(fe.Field, name+"["); ok {
					fe.Field = "entries[" + rest
				}
				out = append(out, fe)
			}
			return 0, out
		}
		return 0, err
	}
	body, err := json.Marshal(map[string]json.RawMessage{"entries": entries})
	if err != nil {
		return 0, err
	}
	vs, err := s.docs.WriteDocs(ctx, []edit.DocWrite{{Kind: KindLists, ID: name, Body: body, ExpectVersion: expect}},
		edit.MetaFor(ctx, "update"))
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.eng = nil // reload at once
	s.mu.Unlock()
	return vs[0], nil
}

// Romanize spells name with the current lists. Errors: apierr.Invalid naming "name" for an empty name or one longer
// than MaxNameInput characters.
func (s *Service) Romanize(ctx context.Context, name string) (Result, error) {
	if err := checkNameInput("name", name); err != nil {
		return Result{}, err
	}
	e, err := s.Engine(ctx)
	if err != nil {
		return Result{}, err
	}
	return e.Rom.Romanize(name), nil
}

// Pinyin is the derived spelling of name ("" when the lists cannot be loaded): the func gazetteer.Service uses to fill
// in a place saved without pinyin.
func (s *Service) Pinyin(name string) string {
	e, err := s.Engine(context.Background())
	if err != nil {
		return ""
	}
	return e.Rom.Romanize(name).Pinyin
}

func checkNameInput(field, name string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		return apierr.Field(field, "is required: a name in Chinese characters")
	case n > MaxNameInput:
		return apierr.Field(field, "is %d characters long; at most %d are accepted", n, MaxNameInput)
	case !utf8.ValidString(name):
		return apierr.Field(field, "is not valid UTF-8")
	}
	return nil
}

// CheckRequest is the body of POST /api/names/check: a proposed name, its category (a division level — county,
// township, village, or 县 镇 乡 街道 村 社区 — or a place category) and the code of the division it would lie in.
type CheckRequest struct {
	Name         string `json:"name"`
	Category     string `json:"category"`
	DivisionCode string `json:"division_code"`
}

// levelOf maps a check's category to a division level ("" for a place category).
func levelOf(category string) gazetteer.Level {
	switch strings.TrimSpace(category) {
	case "county", "县", "区", "县级市":
		return gazetteer.LevelCounty
	case "township", "town", "subdistrict", "镇", "乡", "街道":
		return gazetteer.LevelTownship
	case "village", "community", "村", "社区", "村委会", "居委会":
		return gazetteer.LevelVillage
	}
	return ""
}

// Check runs the rules over a proposed name against the records held. Errors: apierr.Invalid naming "name" (empty, too
// long) or "division_code" (malformed, or not a held division).
func (s *Service) Check(ctx context.Context, req CheckRequest) ([]Finding, error) {
	if err := checkNameInput("name", req.Name); err != nil {
		return nil, err
	}
	req.DivisionCode = strings.TrimSpace(req.DivisionCode)
	if req.DivisionCode != "" {
		if _, err := gazetteer.CheckDivisionCode(req.DivisionCode); err != nil {
			return nil, apierr.Field("division_code", "%v", err)
		}
	}
	e, err := s.Engine(ctx)
	if err != nil {
		return nil, err
	}
	ix, err := s.checkIndex(ctx, e)
	if err != nil {
		return nil, err
	}
	if req.DivisionCode != "" && s.recs != nil && !ix.hasDivision(req.DivisionCode) {
		return nil, apierr.Field("division_code", "no division with code %s is held", req.DivisionCode)
	}
	sj := Subject{Kind: "candidate", Name: strings.TrimSpace(req.Name), Category: strings.TrimSpace(req.Category),
		Level: levelOf(req.Category), Within: req.DivisionCode}
	if sj.Level != "" {
		sj.Category = ""
	}
	findings := ix.Check(sj)
	if findings == nil {
		findings = []Finding{}
	}
	return findings, nil
}

// checkIndex returns the index of the records for Check, rebuilt after checkTTL or when the lists changed.
func (s *Service) checkIndex(ctx context.Context, e *Engine) (*Index, error) {
	s.ixMu.Lock()
	defer s.ixMu.Unlock()
	if s.ix != nil && s.ixEng == e && s.now().Sub(s.ixAt) < checkTTL {
		return s.ix, nil
	}
	subjects, _, err := s.subjects(ctx, e)
	if err != nil {
		return nil, err
	}
	s.ix, s.ixEng, s.ixAt = e.NewIndex(subjects), e, s.now()
	return s.ix, nil
}

// subjects reads every division and the published places (current and historical) as subjects, with the divisions by
// code.
func (s *Service) subjects(ctx context.Context, e *Engine) ([]Subject, map[string]gazetteer.Division, error) {
	divs := map[string]gazetteer.Division{}
	if s.recs == nil {
		return nil, divs, nil
	}
	ds, err := s.recs.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.recs.Places(ctx, gazetteer.PlaceQuery{})
	if err != nil {
		return nil, nil, err
	}
	out := make([]Subject, 0, len(ds)+len(ps.Items))
	for _, d := range ds {
		divs[d.Code] = d
		out = append(out, DivisionSubject(d))
	}
	for _, p := range ps.Items {
		out = append(out, PlaceSubject(p))
	}
	return out, divs, nil
}

// DivisionSubject is the subject of a division (its parent is where it lies).
func DivisionSubject(d gazetteer.Division) Subject {
	sj := Subject{Kind: "division", ID: d.Code, Code: d.Code, Name: d.Name, Level: d.Level, Within: d.ParentCode}
	if d.Seat != nil {
		p := *d.Seat
		sj.Point = &p
	} else {
		sj.Point = centre(d.Geometry)
	}
	return sj
}

// centre is a point geometry itself, else the centre of g's bound (nil for no geometry).
func centre(g orb.Geometry) *orb.Point {
	switch v := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return &v
	}
	c := g.Bound().Center()
	return &c
}

// PlaceSubject is the subject of a place: it lies in its most specific division code; historical places, heritage
// names (保护名录) and those whose attributes mark them commemorative ("commemorative": true) are exempt from
// 大 洋 怪 重 and location.
func PlaceSubject(p gazetteer.Place) Subject {
	sj := Subject{Kind: "place", ID: p.ID, Name: p.Name, Category: p.Category, Pinyin: p.Pinyin, Heritage: p.Heritage,
		Point: centre(p.Geometry)}
	for _, c := range p.DivisionCodes {
		if len(c) > len(sj.Within) {
			sj.Within = c
		}
	}
	switch {
	case p.Heritage:
		sj.Exempt, sj.ExemptReason = true, "列入地名文化遗产保护名录"
	case p.Status == gazetteer.StatusHistorical:
		sj.Exempt, sj.ExemptReason = true, "历史地名"
	case p.Attributes["commemorative"] == true:
		sj.Exempt, sj.ExemptReason = true, "纪念地名"
	}
	return sj
}
