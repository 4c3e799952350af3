package gazetteer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/edit/edithttp"
	"civmap/internal/httpx"
)

// staff reports whether the request is signed in (drafts and submissions are visible to staff only).
func staff(ctx context.Context) bool {
	_, ok := edit.PrincipalFrom(ctx)
	return ok
}

// ApprovalBody is the body of POST /api/places/{id}/approve: the approval record (地名管理条例 art. 14–16) and the
// write's reason. Every field but reason is required (422 naming each missing one).
type ApprovalBody struct {
	Authority   string `json:"authority"`
	DocumentNo  string `json:"document_no"`
	ApprovedOn  string `json:"approved_on"`
	AnnouncedOn string `json:"announced_on"`
	FiledOn     string `json:"filed_on"`
	Reason      string `json:"reason"`
	// A heritage place's rename or abolition also needs these (409 naming what is missing).
	ProtectionMeasure string `json:"protection_measure"`
	Justification     string `json:"justification"`
}

// HeritageBody carries what a change to a heritage-listed name must record.
type HeritageBody struct {
	ProtectionMeasure string `json:"protection_measure"`
	Justification     string `json:"justification"`
}

// checkHeritage refuses a rename or abolition of a heritage place without protection measure and justification.
func checkHeritage(cur Place, what string, hb HeritageBody) error {
	if !cur.Heritage {
		return nil
	}
	var missing []string
	if strings.TrimSpace(hb.ProtectionMeasure) == "" {
		missing = append(missing, "protection_measure")
	}
	if strings.TrimSpace(hb.Justification) == "" {
		missing = append(missing, "justification")
	}
	if len(missing) == 0 {
		return nil
	}
	why := fmt.Sprintf("%q is on the place-name heritage list (保护名录): %s needs %s", cur.Name, what,
		strings.Join(missing, " and "))
	var errs apierr.Invalid
	for _, m := range missing {
		errs = append(errs, apierr.FieldError{Field: m, Reason: why})
	}
	return httpx.WithStatus(http.StatusConflict, errs)
}

// statusConflict is a workflow refusal (edit.FindMove's, or a status changed by an edit): a 409 problem naming
// "status", which still matches apierr.ErrConflict.
type statusConflict struct{ err error }

func (e *statusConflict) Error() string { return e.err.Error() }
func (e *statusConflict) Unwrap() []error {
	return []error{e.err, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "status", Reason: e.err.Error()}})}
}

// Move applies the workflow move action (edit.Workflow) to place id at expectVersion: the principal's role must
// allow the move's (401/403), the place's status must allow it (409 naming the status and the allowed moves). approve
// records body's approval (422 naming each missing field) and a rename's former name; reject needs a reason (422).
func (s *Service) Move(ctx context.Context, id string, expectVersion int64, action string, body ApprovalBody) (Place, error) {
	cur, err := s.Place(ctx, id)
	if err != nil {
		return Place{}, err
	}
	mv, err := edit.FindMove(action, cur.Status)
	if err != nil {
		return Place{}, &statusConflict{err}
	}
	if err := edit.Require(ctx, mv.Need); err != nil {
		return Place{}, err
	}
	switch action {
	case "approve":
		var errs apierr.Invalid
		for _, f := range []struct{ name, v string }{{"authority", body.Authority}, {"document_no", body.DocumentNo},
			{"approved_on", body.ApprovedOn}, {"announced_on", body.AnnouncedOn}, {"filed_on", body.FiledOn}} {
			if strings.TrimSpace(f.v) == "" {
				errs = append(errs, apierr.FieldError{Field: f.name, Reason: "an approval needs it (地名管理条例 art. 14–16)"})
			}
		}
		if len(errs) > 0 {
			return Place{}, errs
		}
	case "reject":
		if strings.TrimSpace(edit.ReasonFrom(ctx)) == "" {
			return Place{}, apierr.Field("reason", "a rejection needs a reason")
		}
	case "delete":
		if err := checkHeritage(cur, "abolishing it", HeritageBody{body.ProtectionMeasure, body.Justification}); err != nil {
			return Place{}, err
		}
	}
	return s.update(ctx, id, expectVersion, false, action, func(p Place) (Place, error) {
		p.Status = mv.To
		switch action {
		case "approve":
			p.Approval = &Approval{Authority: body.Authority, DocumentNo: body.DocumentNo, ApprovedOn: body.ApprovedOn,
				AnnouncedOn: body.AnnouncedOn, FiledOn: body.FiledOn}
		case "delete":
			if p.YearAbolished == 0 {
				p.YearAbolished = s.now().In(chinaStandardTime()).Year()
			}
		}
		return p, nil
	})
}

// rename keeps a current place's old name as a former name when next renames it: its span runs from the old
// approval (or the date it was named) to today, and its citation is the approving document.
func (s *Service) rename(cur Place, next *Place, hb HeritageBody) error {
	if cur.Status != StatusCurrent || next.Name == cur.Name || cur.Name == "" {
		return nil
	}
	if err := checkHeritage(cur, "renaming it", hb); err != nil {
		return err
	}
	from := cur.DateNamed
	citation := ""
	if a := cur.Approval; a != nil {
		if a.ApprovedOn != "" {
			from = a.ApprovedOn
		}
		citation = strings.TrimSpace(a.Authority + " " + a.DocumentNo)
	}
	if a := next.Approval; a != nil && a.DocumentNo != "" && (cur.Approval == nil || *a != *cur.Approval) {
		citation = strings.TrimSpace(a.Authority + " " + a.DocumentNo)
	}
	for _, f := range next.FormerNames {
		if f.Name == cur.Name {
			return nil
		}
	}
	next.FormerNames = append(next.FormerNames, FormerName{Name: cur.Name, From: from,
		To: s.now().In(chinaStandardTime()).Format("2006-01-02"), Citation: citation})
	return nil
}

// placeDoc decodes a version's document into a place.
func placeDoc(doc json.RawMessage) (Place, error) {
	var f struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties Place           `json:"properties"`
	}
	if err := json.Unmarshal(doc, &f); err != nil {
		return Place{}, err
	}
	p := f.Properties
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		g, err := geo.DecodeGeometry(f.Geometry)
		if err != nil {
			return Place{}, err
		}
		p.Geometry = g
	}
	return p, nil
}

// RestorePlace writes an old version's document back as place id's next version (reviewer).
func (s *Service) RestorePlace(ctx context.Context, id string, doc json.RawMessage, expect int64) (int64, error) {
	if err := edit.Require(ctx, edit.RoleReviewer); err != nil {
		return 0, err
	}
	old, err := placeDoc(doc)
	if err != nil {
		return 0, err
	}
	p, err := s.update(ctx, id, expect, true, "restore", func(Place) (Place, error) { return old, nil })
	return p.Version, err
}

func distance(a, b [2]float64) float64 { return geo.Distance(orb.Point(a), orb.Point(b)) }

func (h *api) move(action string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathVar(r, "id")
		if err != nil {
			return err
		}
		if _, err := httpx.ParseIfMatch(r); err != nil {
			return err
		}
		var body ApprovalBody
		if r.ContentLength != 0 {
			raw, err := readBody(w, r, true, httpx.JSONContentType)
			if err != nil {
				return err
			}
			if err := httpx.UnmarshalJSON(raw, &body, true); err != nil {
				return err
			}
		}
		if r, err = edithttp.ReasonQuery(r); err != nil {
			return err
		}
		if body.Reason != "" {
			if r, err = edithttp.WithReason(r, body.Reason); err != nil {
				return err
			}
		}
		v, err := h.expectVersion(r, id)
		if err != nil {
			return err
		}
		out, err := h.svc.Move(r.Context(), id, v, action, body)
		if err != nil {
			return err
		}
		writePlace(w, http.StatusOK, out)
		return nil
	}
}

type heritageKey struct{}

func heritageFrom(ctx context.Context) HeritageBody {
	h, _ := ctx.Value(heritageKey{}).(HeritageBody)
	return h
}

// bodyExtras takes the write's reason (edithttp.BodyReason) and a heritage change's "protection_measure" and
// "justification" out of a JSON body's top level and into the request's context.
func bodyExtras(r *http.Request, body []byte) (*http.Request, []byte, error) {
	r, body, err := edithttp.BodyReason(r, body)
	if err != nil {
		return r, body, err
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return r, body, nil
	}
	var hb HeritageBody
	found := false
	for name, dst := range map[string]*string{"protection_measure": &hb.ProtectionMeasure, "justification": &hb.Justification} {
		if raw, ok := m[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return r, body, httpx.BadParam(name, "must be a string")
			}
			delete(m, name)
			found = true
		}
	}
	if !found {
		return r, body, nil
	}
	body, err = json.Marshal(m)
	return r.WithContext(context.WithValue(r.Context(), heritageKey{}, hb)), body, err
}
