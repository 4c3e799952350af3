package data

import "civmap/gazetteer"

// MergeDivision returns the division an import of in writes over stored (nil when the code is new): an import file
// need not repeat what another file gave (divisions.csv has codes and names, the county outline and townships.geojson
// the polygons and seats), so a member the file leaves absent keeps its stored value — Geometry and Seat when nil,
// ParentCode and Kind when "" — and every member the file gives replaces it. A new division without a Kind gets its
// Level as Kind. Both stores merge before comparing with the stored version, so an identical re-import is unchanged.
// Explicit edits (PutDivision) replace the whole record.
func MergeDivision(stored *gazetteer.Division, in gazetteer.Division) gazetteer.Division {
	if stored != nil {
		if in.Geometry == nil {
			in.Geometry = stored.Geometry
		}
		if in.Seat == nil {
			in.Seat = stored.Seat
		}
		if in.ParentCode == "" {
			in.ParentCode = stored.ParentCode
		}
		if in.Kind == "" {
			in.Kind = stored.Kind
		}
	}
	if in.Kind == "" {
		in.Kind = string(in.Level)
	}
	return in
}
