// Package inspection keeps joint boundary inspections (联合检查, 行政区域界线管理条例 2002, DOMAIN.md §3): inspection rounds
// of a line, the teams' marker and line findings, the extra register data the line and marker tables do not hold (the
// line agreement and 走向说明, marker faces and reference objects 方位物), and the automatic checks and the report.
//
// Every record here is a document (edit.DocStore): versioned and audited like every record, on both stores. Positions
// are compared in the marker register's projected CRS (CGCS2000 3-degree Gauss–Krüger, metres, northing first as survey
// tables print it); lon/lat are EPSG:4490 degrees.
package inspection

import (
	"context"

	"civmap/gazetteer"
	"civmap/internal/edit"
)

// Document kinds. Ids sort sensibly: a round is "<line id>-<year>" ("象宁线-2023", a second round that year
// "象宁线-2023-2"), a marker finding "<round id>/<marker no>", a line finding "<round id>/L<nnn>", an import
// "<round id>/<sha-256 of the file, 16 hex>"; a line agreement is keyed by line id, a marker register by marker number,
// a neighbour polygon by its division code.
const (
	KindRound          edit.Kind = "inspection-rounds"
	KindMarkerFinding  edit.Kind = "marker-findings"
	KindLineFinding    edit.Kind = "line-findings"
	KindImport         edit.Kind = "inspection-imports"
	KindLineAgreement  edit.Kind = "line-agreements"
	KindMarkerRegister edit.Kind = "marker-registers"
	KindNeighbour      edit.Kind = "neighbour-polygons"
	KindPhoto          edit.Kind = "inspection-photos"
)

// Store is what inspections need: the lines, markers and divisions of the gazetteer (read only) and documents.
type Store interface {
	BoundaryLines(ctx context.Context) ([]gazetteer.BoundaryLine, error)
	BoundaryLine(ctx context.Context, id string) (gazetteer.BoundaryLine, error)
	Markers(ctx context.Context, lineID string) ([]gazetteer.Marker, error)
	Division(ctx context.Context, code string) (gazetteer.Division, error)
	edit.DocStore
}

// DefaultToleranceM is the marker position tolerance when a round names none: 1.0 m. GB/T 17796-2009's figure was not
// available to us (DOMAIN.md §3: unverified), so every round may set its own.
const DefaultToleranceM = 1.0

// Team is one side's inspection team.
type Team struct {
	Side    string   `json:"side"`              // "left" (the county) or "right" (the neighbour), or a division code
	Name    string   `json:"name"`              // e.g. 象山县民政局界线联检组
	Leader  string   `json:"leader,omitempty"`  // 组长
	Members []string `json:"members,omitempty"` // 成员
}

// Round is an inspection round of one line: the year, both sides' teams, the field dates (ISO dates, ended_on ≥
// started_on, both in Year), and the marker tolerance in metres (> 0, default 1.0). The gap/overlap check's corridor
// half-width and its minimum area (m²) and width (m) may be set per round; zero takes the defaults of SideCheckOptions.
type Round struct {
	ID          string  `json:"id"`
	LineID      string  `json:"line_id"`
	Year        int     `json:"year"`
	Teams       []Team  `json:"teams"`
	StartedOn   string  `json:"started_on"`
	EndedOn     string  `json:"ended_on"`
	ToleranceM  float64 `json:"tolerance_m"`
	CorridorM   float64 `json:"corridor_m,omitempty"`
	MinGapAreaM float64 `json:"min_gap_area_m2,omitempty"`
	MinGapWidth float64 `json:"min_gap_width_m,omitempty"`
	Version     int64   `json:"version,omitempty"` // the document's version (answers only)
}

// Conditions are the marker conditions a team reports, by key, with the Chinese the teams write.
var Conditions = map[string]string{
	"intact":              "完好",
	"damaged":             "损坏",
	"missing":             "丢失",
	"inscription_unclear": "注记不清",
}

// ConditionKeys lists the condition keys in report order.
var ConditionKeys = []string{"intact", "damaged", "missing", "inscription_unclear"}

// Verdicts beyond the conditions.
const (
	VerdictMoved        = "moved"         // displacement > the round's tolerance
	VerdictNotInspected = "not_inspected" // no finding in this round
)

// Position is an observed position as the team gave it: the CRS and the two values in the file's column order
// (x_north_m, y_east_m: northing then easting for Gauss–Krüger, latitude then longitude for EPSG:4490/4326).
type Position struct {
	CRS   string  `json:"crs"`
	North float64 `json:"x_north"`
	East  float64 `json:"y_east"`
}

// MarkerFinding is what a team found at one marker in one round.
type MarkerFinding struct {
	RoundID     string    `json:"round_id"`
	MarkerNo    string    `json:"marker_no"`
	InspectedOn string    `json:"inspected_on"`
	Condition   string    `json:"condition"` // a key of Conditions
	Observed    *Position `json:"observed,omitempty"`
	Team        string    `json:"team,omitempty"`
	Note        string    `json:"note,omitempty"`
	Repairs     string    `json:"repairs,omitempty"` // repairs done (清理, 描红 …); non-empty counts as repaired
	Photos      []string  `json:"photos,omitempty"`  // ids of KindPhoto documents
	Source      string    `json:"source,omitempty"`  // "import <file sha>" or "field"
}

// LineFinding is a finding on a segment of the line: between two markers (or chainages in metres from the line's
// first vertex), what changed (ground features, roads, rivers) and construction across the line.
type LineFinding struct {
	ID           string  `json:"id"`
	RoundID      string  `json:"round_id"`
	FromMarker   string  `json:"from_marker,omitempty"`
	ToMarker     string  `json:"to_marker,omitempty"`
	FromM        float64 `json:"from_m,omitempty"`
	ToM          float64 `json:"to_m,omitempty"`
	Change       string  `json:"change"`
	Construction string  `json:"construction,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// Rejected is one spreadsheet row that was not imported: the file's line (header = line 1), the marker number as
// written, a reason code and a message.
type Rejected struct {
	Line     int    `json:"line"`
	MarkerNo string `json:"marker_no"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
}

// Reason codes of rejected rows.
const (
	ReasonUnknownMarker    = "unknown_marker"
	ReasonAxesSwapped      = "axes_swapped"
	ReasonNoPosition       = "no_position"
	ReasonDateOutsideRound = "date_outside_round"
	ReasonCRSMismatch      = "crs_mismatch"
	ReasonDuplicateMarker  = "duplicate_marker"
	ReasonBadCoordinate    = "bad_coordinate"
	ReasonBadCondition     = "bad_condition"
	ReasonBadDate          = "bad_date"
)

// ImportRecord is one imported spreadsheet, kept for review: when, by whom, how many rows went in and the rejected ones.
type ImportRecord struct {
	RoundID    string     `json:"round_id"`
	SHA256     string     `json:"sha256"`
	Format     string     `json:"format"` // csv or xlsx
	ImportedAt string     `json:"imported_at"`
	Actor      string     `json:"actor,omitempty"`
	Imported   int        `json:"imported"`
	Rejected   []Rejected `json:"rejected"`
}

// ImportResult is the answer to an import.
type ImportResult struct {
	Imported int        `json:"imported"`
	Rejected []Rejected `json:"rejected"`
}

// LineAgreement is a line's boundary agreement (界线协议书): the document, its date, the line description 走向说明 and
// attached files (names or URLs), and the registered length in metres when the agreement gives one.
type LineAgreement struct {
	LineID            string   `json:"line_id"`
	Document          string   `json:"document"`
	SignedOn          string   `json:"signed_on,omitempty"`
	Description       string   `json:"description,omitempty"` // 走向说明
	Files             []string `json:"files,omitempty"`
	RegisteredLengthM float64  `json:"registered_length_m,omitempty"`
}

// ReferenceObject is a marker's reference object (方位物): what it is, its bearing from the marker (degrees clockwise
// from grid north, 0–360) and distance (metres). The regulations ask for at least three.
type ReferenceObject struct {
	Name      string  `json:"name"`
	BearingD  float64 `json:"bearing_deg"`
	DistanceM float64 `json:"distance_m"`
}

// MarkerRegister is the register data of a marker beyond its table: faces (2 or 3) and reference objects.
type MarkerRegister struct {
	MarkerNo   string            `json:"marker_no"`
	Faces      int               `json:"faces,omitempty"`
	References []ReferenceObject `json:"references,omitempty"`
	Note       string            `json:"note,omitempty"`
}
