// Package edit is the edit machinery every record kind shares: who is writing (Principal, Meta), the roles and what each
// may do, the versions a store keeps of every record, the audit log, and (in later files) field-level diffs (RFC 6902 JSON
// Patch) and the place-status workflow. Domain packages call it; stores persist Version and AuditEntry in the same
// transaction as the write they describe. It imports nothing of civmap's but apierr.
package edit

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"time"
)

// Kind names a record kind as the API path spells it (/api/{kind}/{id}).
type Kind string

// The record kinds that are versioned.
const (
	KindPlace    Kind = "places"
	KindDivision Kind = "divisions"
	KindLine     Kind = "boundary-lines"
	KindMarker   Kind = "markers"
	KindFacility Kind = "facilities"
	KindDemand   Kind = "demand"
)

// Kinds lists every versioned kind in API order.
var Kinds = []Kind{KindPlace, KindDivision, KindLine, KindMarker, KindFacility, KindDemand}

// Role is what a token may do. Roles are not a ladder: see Allows.
type Role string

// The roles (issue 6).
const (
	RoleViewer    Role = "viewer"    // read, including staff-only drafts and submissions
	RoleEditor    Role = "editor"    // create and edit records, drafts, submit
	RoleReviewer  Role = "reviewer"  // an editor who may also approve, reject and restore
	RoleInspector Role = "inspector" // boundary inspections
	RolePlanner   Role = "planner"   // layout plans and coverage scenarios
	RoleAdmin     Role = "admin"     // everything, including tokens and the audit log
)

// Roles lists every role.
var Roles = []Role{RoleViewer, RoleEditor, RoleReviewer, RoleInspector, RolePlanner, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Allows reports whether a holder of r may act where need is required: admin may do everything, a reviewer what an
// editor may, every role what a viewer may, and otherwise only the role itself.
func (r Role) Allows(need Role) bool {
	switch {
	case r == need, r == RoleAdmin:
		return true
	case need == RoleViewer:
		return r.Valid()
	case need == RoleEditor:
		return r == RoleReviewer
	}
	return false
}

// Principal is who a request acts for: a token's name and role. Anonymous requests carry none.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (set by the auth middleware once a token is verified).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal, if it signed in.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Sentinel errors for authentication and authorisation; the HTTP layer answers 401 and 403 (problem+json).
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrForbidden       = errors.New("forbidden")
)

// Require returns nil when ctx's principal holds a role that allows need, ErrUnauthenticated (wrapped) when the request
// carries no principal, and ErrForbidden (wrapped, naming both roles) otherwise.
func Require(ctx context.Context, need Role) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return &roleError{need: need, err: ErrUnauthenticated}
	}
	if !p.Role.Allows(need) {
		return &roleError{need: need, have: p.Role, err: ErrForbidden}
	}
	return nil
}

type roleError struct {
	need, have Role
	err        error
}

func (e *roleError) Error() string {
	if e.have == "" {
		return "this action needs a token with role " + string(e.need) + " (Authorization: Bearer TOKEN)"
	}
	return "this action needs role " + string(e.need) + "; the token's role is " + string(e.have)
}
func (e *roleError) Unwrap() error { return e.err }

// MaxReason is the longest reason (in characters) a write may give.
const MaxReason = 500

// Meta is what every write records beside the change itself. Actor is the principal's name ("import" plus --actor, or
// "system" for the bundled sample); Action is the verb ("create", "update", "delete", "restore", "import", "submit",
// "approve", "reject", "historical", "close" for a facility's DELETE); RequestID is the X-Request-Id the server gave
// the request; ClientAddr its remote address.
type Meta struct {
	Actor      string    `json:"actor"`
	Role       Role      `json:"role,omitempty"`
	Action     string    `json:"action"`
	Reason     string    `json:"reason,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	Time       time.Time `json:"time"` // set by the store when zero (UTC, microseconds)
}

// Version is one stored version of a record: the record whole, as its kind's API GeoJSON Feature or JSON object, and the
// write that made it. Versions of one record are numbered 1, 2, … without gaps; the last is the current record.
type Version struct {
	Kind    Kind            `json:"kind"`
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	Meta    Meta            `json:"meta"`
	Record  json.RawMessage `json:"record"`
}

// Audit outcomes.
const (
	OutcomeOK      = "ok"      // a write that committed
	OutcomeRefused = "refused" // a write that was refused (4xx): nothing written
	OutcomeDenied  = "denied"  // a failed sign-in: unknown, revoked or malformed token, token in the query string
)

// AuditEntry is one line of the append-only audit log. Seq is assigned by the store, increasing. BeforeHash and AfterHash
// are hex SHA-256 of the record's stored JSON before and after the write ("" where there is none).
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Role       Role      `json:"role,omitempty"`
	Action     string    `json:"action"`
	Outcome    string    `json:"outcome"`
	Status     int       `json:"status"`
	Kind       Kind      `json:"target_kind,omitempty"`
	TargetID   string    `json:"target_id,omitempty"`
	Version    int64     `json:"version,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	BeforeHash string    `json:"before_hash,omitempty"`
	AfterHash  string    `json:"after_hash,omitempty"`
	Message    string    `json:"message,omitempty"`
}

// AuditQuery filters the audit log; zero fields match everything. Since is inclusive, Until exclusive. Results are
// ordered by Seq and paged.
type AuditQuery struct {
	Actor  string
	Target string // the record's id
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// AuditPage is one page of the audit log and the number of entries that match in all.
type AuditPage struct {
	Items         []AuditEntry
	NumberMatched int
}

// Store is what the edit machinery needs from persistence. Both stores implement it and data/storetest holds its
// contract. The stores also append an AuditEntry with OutcomeOK and a Version inside the transaction of every write they
// make, so a rolled-back write leaves neither.
type Store interface {
	// History returns every version of a record, oldest first, or apierr.ErrNotFound.
	History(ctx context.Context, kind Kind, id string) ([]Version, error)
	// AppendAudit appends one entry (refused writes and failed sign-ins, which write nothing else).
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit lists entries matching q.
	Audit(ctx context.Context, q AuditQuery) (AuditPage, error)
}

// Request is what the HTTP layer knows of a request that its writes record: the request id it answered with
// (X-Request-Id) and the client's address.
type Request struct {
	ID         string
	ClientAddr string
}

type requestKey struct{}

// WithRequest returns ctx carrying r (set by the HTTP middleware for every request).
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request info ctx carries (zero outside a request).
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// NewMeta is the Meta of a write made in ctx: its principal (Actor "anonymous" without one), request id and client
// address, with action and reason. Time is left for the store to set.
func NewMeta(ctx context.Context, action, reason string) Meta {
	m := Meta{Actor: "anonymous", Action: action, Reason: reason}
	if p, ok := PrincipalFrom(ctx); ok {
		m.Actor, m.Role = p.Name, p.Role
	}
	r := RequestFrom(ctx)
	m.RequestID, m.ClientAddr = r.ID, r.ClientAddr
	return m
}

// Unchanged reports whether a write of next over cur (two values of one record type, each with its geometry) would
// change nothing: they are deeply equal (reflect.DeepEqual, so a geometry kept outside the record's JSON counts too).
// An identical PUT, a PATCH that changes nothing and an identical re-import are no-ops: they make no version and no
// audit entry (the audit log records writes, refused writes and failed sign-ins; a no-op is none of these).
func Unchanged[T any](cur, next T) bool {
	return reflect.DeepEqual(cur, next)
}
