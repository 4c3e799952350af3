package edit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"civmap/internal/apierr"
)

// Documents are the records of kinds that have no table of their own: layout plans, inspection rounds and their
// findings, screening findings, the county reading dictionary, and what later issues add. A domain package owns a
// document's JSON shape; the store keeps its body as written (CompactDoc), versions it like every record (a Version whose Record
// is the body, and an OK AuditEntry, in the write's transaction) and lists the current documents of a kind. History,
// restore and the audit log work on documents as on every other kind.

// AnyVersion as a DocWrite's ExpectVersion writes whatever is stored (create or replace): for a document the caller
// rewrites whole, such as a plan loaded from its file.
const AnyVersion int64 = -1

// MaxDocID is the longest document id, in bytes.
const MaxDocID = 200

// Doc is the current version of one document.
type Doc struct {
	Kind      Kind            `json:"kind"`
	ID        string          `json:"id"`
	Version   int64           `json:"version"`
	UpdatedAt time.Time       `json:"updated_at"` // the time of the write that made Version (UTC)
	Body      json.RawMessage `json:"body"`
}

// DocWrite is one write of a WriteDocs batch. Body nil or JSON null deletes the document (its history stays).
// ExpectVersion 0 creates (apierr.ErrConflict when the document exists), n > 0 replaces version n
// (apierr.ErrVersionMismatch when another is current, apierr.ErrNotFound when there is none), AnyVersion creates or
// replaces. Action, when set, overrides the batch Meta's Action for this write's version and audit entry.
type DocWrite struct {
	Kind          Kind
	ID            string
	Body          json.RawMessage
	ExpectVersion int64
	Action        string
}

// DocStore keeps documents. Both stores implement it; data/storetest holds its contract.
type DocStore interface {
	// Doc returns the current document kind/id, or apierr.ErrNotFound (never written, or deleted).
	Doc(ctx context.Context, kind Kind, id string) (Doc, error)
	// Docs lists the current documents of kind whose id starts with prefix ("" for all), ordered by id (bytewise).
	Docs(ctx context.Context, kind Kind, prefix string) ([]Doc, error)
	// WriteDocs applies ws in order in one transaction and returns each document's version after it. A write whose
	// body is the current body (after CompactDoc) is a no-op: it returns the current version and appends nothing. Any error
	// (a failed expectation, an invalid id or body, two writes of one document in the batch) writes nothing at all.
	// Bodies must be JSON objects (or null for a delete).
	WriteDocs(ctx context.Context, ws []DocWrite, meta Meta) ([]int64, error)
}

// CheckDocWrites validates a WriteDocs batch as both stores do before they open a transaction: a kind and an id of 1 to
// MaxDocID bytes of valid UTF-8 without control characters, a body that is a JSON object or null, an ExpectVersion of
// AnyVersion or ≥ 0, and no document twice. Errors are apierr.Invalid naming the write, e.g. "writes[3].id".
func CheckDocWrites(ws []DocWrite) error {
	var bad apierr.Invalid
	seen := make(map[string]int, len(ws))
	for i, w := range ws {
		at := fmt.Sprintf("writes[%d]", i)
		if w.Kind == "" || strings.ContainsAny(string(w.Kind), "\x00/") {
			bad.Add(at+".kind", "must be a non-empty kind without NUL or '/' (got %q)", w.Kind)
		}
		switch {
		case w.ID == "" || len(w.ID) > MaxDocID:
			bad.Add(at+".id", "must be 1 to %d bytes long (got %d)", MaxDocID, len(w.ID))
		case !utf8.ValidString(w.ID) || strings.IndexFunc(w.ID, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
			bad.Add(at+".id", "must be valid UTF-8 without control characters")
		}
		if w.ExpectVersion < AnyVersion {
			bad.Add(at+".expect_version", "must be %d (any), 0 (create) or a version ≥ 1 (got %d)", AnyVersion, w.ExpectVersion)
		}
		if w.IsDelete() && w.ExpectVersion == 0 {
			bad.Add(at+".expect_version", "a delete needs the version it deletes, or %d (any); 0 means create", AnyVersion)
		}
		if !w.IsDelete() {
			b := strings.TrimSpace(string(w.Body))
			if !strings.HasPrefix(b, "{") || !json.Valid(w.Body) {
				bad.Add(at+".body", "must be a JSON object")
			}
		}
		key := string(w.Kind) + "\x00" + w.ID
		if j, dup := seen[key]; dup {
			bad.Add(at+".id", "%s %q is written twice in one batch (also writes[%d])", w.Kind, w.ID, j)
		}
		seen[key] = i
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// CompactDoc is the form in which both stores keep a body: json.Compact of it (members and their order as written,
// insignificant space removed), so that a body, its version's Record and its hash agree on either store.
func CompactDoc(body json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// IsDelete reports whether w deletes its document (Body nil or JSON null).
func (w DocWrite) IsDelete() bool {
	b := strings.TrimSpace(string(w.Body))
	return b == "" || b == "null"
}

// DocAction is the action a write records: w.Action, else meta's, else "create", "update" or "delete" by what the
// write does (prev is the version before it, 0 when none).
func DocAction(w DocWrite, meta Meta, prev int64) string {
	switch {
	case w.Action != "":
		return w.Action
	case meta.Action != "":
		return meta.Action
	case w.IsDelete():
		return "delete"
	case prev == 0:
		return "create"
	}
	return "update"
}

// DecodeDoc unmarshals d's body into a value of type T.
func DecodeDoc[T any](d Doc) (T, error) {
	var v T
	if err := json.Unmarshal(d.Body, &v); err != nil {
		return v, fmt.Errorf("%s %q: stored document does not decode: %w", d.Kind, d.ID, err)
	}
	return v, nil
}
