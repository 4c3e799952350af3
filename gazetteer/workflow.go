package gazetteer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

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
// write's reason. Every field but reason is required (422 naming each missing one); the dates are checked by
// checkApproval. The same members, at the top level of a PATCH, PUT or restore body, are the approving document of
// a published place's rename.
type ApprovalBody struct {
	Authority   string `json:"authority"`
	DocumentNo  string `json:"document_no"`
	ApprovedOn  string `json:"approved_on"`
	AnnouncedOn string `json:"announced_on"`
	FiledOn     string `json:"filed_on"`
	Reason      string `json:"reason"`
	// A heritage place's rename or abolition, or clearing its heritage flag, also needs these (409 naming what is
	// missing).
	ProtectionMeasure string `json:"protection_measure"`
	Justification     string `json:"justification"`
}

// HeritageBody carries what a change to a heritage-listed name must record.
type HeritageBody struct {
	ProtectionMeasure string `json:"protection_measure"`
	Justification     string `json:"justification"`
}

func (b ApprovalBody) heritage() HeritageBody {
	return HeritageBody{b.ProtectionMeasure, b.Justification}
}

func (b ApprovalBody) approval() *Approval {
	return &Approval{Authority: strings.TrimSpace(b.Authority), DocumentNo: strings.TrimSpace(b.DocumentNo),
		ApprovedOn: strings.TrimSpace(b.ApprovedOn), AnnouncedOn: strings.TrimSpace(b.AnnouncedOn),
		FiledOn: strings.TrimSpace(b.FiledOn)}
}

// checkApproval checks an approving document (an approve's, or a published place's rename's): authority,
// document_no and the three dates are required; each date is a real ISO 8601 calendar date (YYYY-MM-DD), not after
// today in China Standard Time (UTC+8), and the public notice (公告, announced_on) and filing (备案, filed_on) are not
// before the approval (approved_on). Errors: apierr.Invalid (422) naming each bad field; what says what needs it.
func (s *Service) checkApproval(b ApprovalBody, what string) error {
	a := b.approval()
	today := s.now().In(chinaStandardTime()).Format(time.DateOnly)
	var errs apierr.Invalid
	bad := func(field, format string, args ...any) {
		errs = append(errs, apierr.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for _, f := range []struct{ name, v string }{{"authority", a.Authority}, {"document_no", a.DocumentNo}} {
		if f.v == "" {
			bad(f.name, "%s needs it (地名管理条例 art. 14–16)", what)
		}
	}
	approved := ""
	for _, f := range []struct{ name, v string }{{"approved_on", a.ApprovedOn}, {"announced_on", a.AnnouncedOn},
		{"filed_on", a.FiledOn}} {
		switch _, err := time.Parse(time.DateOnly, f.v); {
		case f.v == "":
			bad(f.name, "%s needs it (地名管理条例 art. 14–16)", what)
		case err != nil || len(f.v) != len(time.DateOnly):
			bad(f.name, "%q is not a calendar date YYYY-MM-DD (ISO 8601)", f.v)
		case f.v > today:
			bad(f.name, "%s is in the future (today is %s, China Standard Time)", f.v, today)
		case f.name == "approved_on":
			approved = f.v
		case approved != "" && f.v < approved: // ISO dates order as text
			bad(f.name, "%s is before the approval (approved_on %s): 公告 and 备案 follow the approval", f.v, approved)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// roleRefusal is a 403 naming the field whose change needs a role (a rename, the heritage flag), which still matches
// edit.ErrForbidden.
type roleRefusal struct {
	err   error
	field string
}

func (e *roleRefusal) Error() string { return e.field + ": " + e.err.Error() }
func (e *roleRefusal) Unwrap() []error {
	return []error{e.err, httpx.WithStatus(http.StatusForbidden, apierr.Invalid{{Field: e.field, Reason: e.err.Error()}})}
}

func requireFor(ctx context.Context, need edit.Role, field, what string) error {
	if err := edit.Require(ctx, need); err != nil {
		return &roleRefusal{fmt.Errorf("%s needs role %s: %w", what, need, err), field}
	}
	return nil
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

// guardPublished applies the rules of an edit or restore (next) of a place, in this order:
//   - on every status, approval and former_names are the server's (workflowFields): next must carry them unchanged,
//     else 409 naming each; the rules below are a published place's (cur: current, historical or abolished);
//   - a change of the heritage flag needs role reviewer (403 naming "heritage"); clearing it needs b's
//     protection_measure and justification (409 naming each missing);
//   - a rename (name, specific or generic changing) needs role reviewer (403 naming "name") and the rename's
//     approving document in b (checkApproval, 422 naming each bad field), approved on or after the current approval's
//     approved_on (422 naming approved_on); a heritage place's rename also needs the
//     protection measure and justification (409). The rename's approval becomes the place's and the old name is kept
//     in former_names (rename).
//
// heritage reports that the change needed b's protection measure and justification (withHeritage records them).
func (s *Service) guardPublished(ctx context.Context, cur Place, next *Place, b ApprovalBody) (heritage bool, err error) {
	if errs := workflowFields(cur.Approval, cur.FormerNames, *next); len(errs) > 0 {
		return false, httpx.WithStatus(http.StatusConflict, errs)
	}
	if Unpublished(cur.Status) {
		return false, nil
	}
	if next.Heritage != cur.Heritage {
		if err := requireFor(ctx, edit.RoleReviewer, "heritage", "changing the heritage flag of a published place"); err != nil {
			return false, err
		}
		if !next.Heritage {
			if err := checkHeritage(cur, "removing it from the list", b.heritage()); err != nil {
				return false, err
			}
			heritage = cur.Heritage
		}
	}
	if next.Name == cur.Name && next.Specific == cur.Specific && next.Generic == cur.Generic {
		return heritage, nil
	}
	if err := requireFor(ctx, edit.RoleReviewer, "name", "renaming a published place (an approved rename, 地名管理条例)"); err != nil {
		return false, err
	}
	if err := s.checkApproval(b, "a rename of a published place"); err != nil {
		return false, err
	}
	// The old name's span runs from the current approval to the rename's: a rename approved earlier would invert it.
	if a, on := cur.Approval, b.approval().ApprovedOn; a != nil && a.ApprovedOn != "" && on < a.ApprovedOn {
		return false, apierr.Field("approved_on", "the rename's approval (%s) is before the approval it replaces (%s, %s): "+
			"a rename cannot precede the current approval", on, a.ApprovedOn, strings.TrimSpace(a.Authority+" "+a.DocumentNo))
	}
	if err := checkHeritage(cur, "renaming it", b.heritage()); err != nil {
		return false, err
	}
	next.Approval = b.approval()
	s.rename(cur, next)
	return heritage || cur.Heritage, nil
}

// withHeritage returns ctx whose write reason records a heritage change's protection measure and justification,
// "保护措施：…；理由：…", before the request's own reason ("；" between): the version's meta and the audit entry's
// message (cut at edit.MaxReason characters) keep them.
func withHeritage(ctx context.Context, hb HeritageBody) context.Context {
	note := "保护措施：" + strings.TrimSpace(hb.ProtectionMeasure) + "；理由：" + strings.TrimSpace(hb.Justification)
	if r := edit.ReasonFrom(ctx); r != "" {
		note += "；" + r
	}
	return edit.WithReason(ctx, note)
}

// workflowFields refuses a write whose approval or former_names differ from what is stored (approval, former; nil
// and empty for a new place), on every status: approve writes the one and a rename appends to the other, so an
// editor cannot forge either on a draft and have it approved (imports, the historical record, may carry them).
// It returns a FieldError naming each field that differs (none when both agree); callers answer them as a 409.
func workflowFields(approval *Approval, former []FormerName, next Place) apierr.Invalid {
	var errs apierr.Invalid
	if !sameApproval(approval, next.Approval) {
		errs = append(errs, apierr.FieldError{Field: "approval", Reason: "the approval of a place is the server's: " +
			"POST …/approve writes it, and a reviewer's rename with its approving document replaces it"})
	}
	if !slices.Equal(former, next.FormerNames) && (len(former) > 0 || len(next.FormerNames) > 0) {
		errs = append(errs, apierr.FieldError{Field: "former_names", Reason: "the former names of a place are the " +
			"server's: a reviewer's rename of a published place appends the old name"})
	}
	return errs
}

func sameApproval(a, b *Approval) bool {
	if a == nil || b == nil {
		return a == b || (a == nil && *b == Approval{}) || (b == nil && *a == Approval{})
	}
	return *a == *b
}

// statusConflict is a workflow refusal (edit.FindMove's, or a status changed by an edit): a 409 problem naming
// "status", which still matches apierr.ErrConflict.
type statusConflict struct{ err error }

func (e *statusConflict) Error() string { return e.err.Error() }
func (e *statusConflict) Unwrap() []error {
	return []error{e.err, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "status", Reason: e.err.Error()}})}
}

// Move applies the workflow move action (edit.Workflow) to place id at expectVersion, checking in this order: the
// principal's role must allow the action (edit.ActionRole, 401/403), the place must be at expectVersion (412), its
// status must allow the move (409 naming the status and the allowed moves) and the role the move's. approve records
// body's approval (checkApproval: 422 naming each missing or bad field); reject needs a reason (422).
func (s *Service) Move(ctx context.Context, id string, expectVersion int64, action string, body ApprovalBody) (Place, error) {
	if err := edit.Require(ctx, edit.ActionRole(action)); err != nil {
		return Place{}, err
	}
	cur, err := s.Place(ctx, id)
	if err != nil {
		return Place{}, err
	}
	if cur.Version != expectVersion {
		return Place{}, kindf(apierr.ErrVersionMismatch, "place %q is at version %d, not %d; GET it again and retry",
			id, cur.Version, expectVersion)
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
		if err := s.checkApproval(body, "an approval"); err != nil {
			return Place{}, err
		}
	case "reject":
		if strings.TrimSpace(edit.ReasonFrom(ctx)) == "" {
			return Place{}, apierr.Field("reason", "a rejection needs a reason")
		}
	case "delete":
		if err := checkHeritage(cur, "abolishing it", body.heritage()); err != nil {
			return Place{}, err
		}
		if cur.Heritage {
			ctx = withHeritage(ctx, body.heritage())
		}
	}
	return s.update(ctx, id, expectVersion, false, action, func(p Place) (Place, error) {
		p.Status = mv.To
		switch action {
		case "approve":
			p.Approval = body.approval()
		case "delete":
			if p.YearAbolished == 0 {
				p.YearAbolished = s.now().In(chinaStandardTime()).Year()
			}
		}
		return p, nil
	})
}

// rename keeps a published place's old name as a former name when next (carrying the rename's approval) renames
// it: its span runs from the old approval (or the date it was named) to the rename's approval, and its citation is
// the rename's approving document. A name already among the former names is not added again.
func (s *Service) rename(cur Place, next *Place) {
	if next.Name == cur.Name || cur.Name == "" {
		return
	}
	from := cur.DateNamed
	if a := cur.Approval; a != nil && a.ApprovedOn != "" {
		from = a.ApprovedOn
	}
	to, citation := s.now().In(chinaStandardTime()).Format(time.DateOnly), ""
	if a := next.Approval; a != nil {
		to, citation = a.ApprovedOn, strings.TrimSpace(a.Authority+" "+a.DocumentNo)
	}
	for _, f := range next.FormerNames {
		if f.Name == cur.Name {
			return
		}
	}
	next.FormerNames = append(slices.Clone(next.FormerNames), FormerName{Name: cur.Name, From: from, To: to,
		Citation: citation})
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

// RestorePlace writes an old version's document back as place id's next version (reviewer), keeping what the
// workflow owns: the place's current status, approval and former names. An abolished place is not restored (409
// naming "status"). The restored fields are validated as an edit's and follow its rules (guardPublished): a restore
// that renames a published place needs the rename's approving document (the body's authority, document_no,
// approved_on, announced_on, filed_on) and keeps the old name in former_names.
func (s *Service) RestorePlace(ctx context.Context, id string, doc json.RawMessage, expect int64) (int64, error) {
	if err := edit.Require(ctx, edit.RoleReviewer); err != nil {
		return 0, err
	}
	old, err := placeDoc(doc)
	if err != nil {
		return 0, err
	}
	p, err := s.update(ctx, id, expect, true, "restore", func(cur Place) (Place, error) {
		if cur.Status == StatusAbolished {
			return Place{}, httpx.WithStatus(http.StatusConflict, apierr.Invalid{{Field: "status",
				Reason: fmt.Sprintf("place %q is abolished: the workflow has no move out of %s, so no version is restored",
					id, StatusAbolished)}})
		}
		old.Status, old.Approval, old.FormerNames = cur.Status, cur.Approval, cur.FormerNames
		return old, nil
	})
	return p.Version, err
}

func distance(a, b [2]float64) float64 { return geo.Distance(orb.Point(a), orb.Point(b)) }

func (h *api) move(action string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := edit.Require(r.Context(), edit.ActionRole(action)); err != nil {
			return err
		}
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

type approvalKey struct{}

func approvalFrom(ctx context.Context) ApprovalBody {
	b, _ := ctx.Value(approvalKey{}).(ApprovalBody)
	return b
}

// bodyExtras takes the write's reason (edithttp.BodyReason) and the members that are no field of the record out of
// a JSON body's top level and into the request's context: a rename's approving document (authority, document_no,
// approved_on, announced_on, filed_on) and a heritage change's protection_measure and justification.
func bodyExtras(r *http.Request, body []byte) (*http.Request, []byte, error) {
	r, body, err := edithttp.BodyReason(r, body)
	if err != nil {
		return r, body, err
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return r, body, nil
	}
	var b ApprovalBody
	found := false
	for name, dst := range map[string]*string{"protection_measure": &b.ProtectionMeasure,
		"justification": &b.Justification, "authority": &b.Authority, "document_no": &b.DocumentNo,
		"approved_on": &b.ApprovedOn, "announced_on": &b.AnnouncedOn, "filed_on": &b.FiledOn} {
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
	return r.WithContext(context.WithValue(r.Context(), approvalKey{}, b)), body, err
}
