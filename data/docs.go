package data

import (
	"bytes"

	"civmap/internal/edit"
)

// CheckDocWrite applies the version rule of one DocWrite to the stored document (exists, at version, the latest
// version of its history; 0 when it has none): AnyVersion passes, a delete of a missing document is apierr.ErrNotFound,
// and everything else is CheckWrite's rule (edit.CheckDocWrites has refused a delete with ExpectVersion 0).
func CheckDocWrite(w edit.DocWrite, exists bool, version int64) error {
	switch {
	case w.IsDelete() && !exists:
		return NotFound(w.Kind, w.ID)
	case w.ExpectVersion == edit.AnyVersion:
		return nil
	}
	return CheckWrite(w.Kind, w.ID, exists, version, w.ExpectVersion)
}

// SameDoc reports whether the compacted body is the stored body cur (a no-op write).
func SameDoc(cur, body []byte) bool { return cur != nil && bytes.Equal(cur, body) }
