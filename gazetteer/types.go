// Package gazetteer owns place-name records (地名), administrative divisions, boundary lines (界线) and boundary markers (界桩):
// their types, the rules they obey, the store contract they need, and the HTTP handlers that expose them.
//
// Coordinates are CGCS2000 lon/lat (EPSG:4490, degrees); distances are metres on the ellipsoid.
package gazetteer

import (
	"time"

	"github.com/paulmach/orb"
)

// Level is a division's tier: the county, a township-level unit (街道/镇/乡) or a village-level unit (社区/村).
type Level string

// Division levels (GB/T 2260 county codes have 6 digits, GB/T 10114 township codes 9, village codes 12).
const (
	LevelCounty   Level = "county"
	LevelTownship Level = "township"
	LevelVillage  Level = "village"
)

// Division is an administrative division. Kind is the finer type: county, subdistrict (街道), town (镇), township (乡),
// community (社区), village (村). Geometry is a (Multi)Polygon for the county and townships and a Point for village-level
// units whose boundaries are not held; Seat is the seat of government (lon/lat), if known.
type Division struct {
	Code       string       `json:"code"`
	Name       string       `json:"name"`
	Level      Level        `json:"level"`
	Kind       string       `json:"kind"`
	ParentCode string       `json:"parent_code,omitempty"`
	Geometry   orb.Geometry `json:"-"`
	Seat       *orb.Point   `json:"seat,omitempty"`
}

// Place status values. A deleted record is marked abolished; nothing is erased. Drafts and submissions are the
// workflow's states before approval (see Workflow) and are shown to signed-in staff only.
const (
	StatusDraft      = "draft"
	StatusSubmitted  = "submitted"
	StatusCurrent    = "current"
	StatusHistorical = "historical"
	StatusAbolished  = "abolished"
)

// Statuses lists every place status in workflow order.
var Statuses = []string{StatusDraft, StatusSubmitted, StatusCurrent, StatusHistorical, StatusAbolished}

// Published reports whether a place with this status is shown to everyone and drawn in tiles (current or historical).
func Published(status string) bool { return status == StatusCurrent || status == StatusHistorical }

// Unpublished reports whether a place with this status is staff-only (draft or submitted).
func Unpublished(status string) bool { return status == StatusDraft || status == StatusSubmitted }

// FormerName is a name the place had before, with its time span (ISO dates or years, as the source gives them) and the
// document that records it.
type FormerName struct {
	Name     string `json:"name"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Citation string `json:"citation,omitempty"`
}

// Approval records how a name was approved (地名管理条例 art. 14–16): the authority, its document number and the dates of
// approval, public notice (公告) and filing (备案), as ISO dates.
type Approval struct {
	Authority   string `json:"authority,omitempty"`
	DocumentNo  string `json:"document_no,omitempty"`
	ApprovedOn  string `json:"approved_on,omitempty"`
	AnnouncedOn string `json:"announced_on,omitempty"`
	FiledOn     string `json:"filed_on,omitempty"`
}

// Place is a place-name record, after the 2nd national place-name census form. Name is the standard name (标准名称) and
// Specific/Generic its 专名 and 通名. Category is a GB/T 18521 code or a category key, kept as text. DivisionCodes are the
// divisions the place lies in. Geometry may be of any type. Version starts at 1 and grows by one with every write;
// CreatedAt/UpdatedAt are set by the store (UTC, microsecond precision).
type Place struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Specific        string         `json:"specific,omitempty"`
	Generic         string         `json:"generic,omitempty"`
	ShortName       string         `json:"short_name,omitempty"`
	Aliases         []string       `json:"aliases,omitempty"`
	Pinyin          string         `json:"pinyin,omitempty"`
	Category        string         `json:"category"`
	Status          string         `json:"status"`
	DivisionCodes   []string       `json:"division_codes,omitempty"`
	Geometry        orb.Geometry   `json:"-"`
	Meaning         string         `json:"meaning,omitempty"`
	History         string         `json:"history,omitempty"`
	Description     string         `json:"description,omitempty"`
	FormerNames     []FormerName   `json:"former_names,omitempty"`
	DateNamed       string         `json:"date_named,omitempty"`
	YearEstablished int            `json:"year_established,omitempty"`
	YearAbolished   int            `json:"year_abolished,omitempty"`
	Heritage        bool           `json:"heritage"`
	Source          string         `json:"source,omitempty"`
	Registrant      string         `json:"registrant,omitempty"`
	Approval        *Approval      `json:"approval,omitempty"`
	Attributes      map[string]any `json:"attributes,omitempty"`
	Version         int64          `json:"version"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// BoundaryLine is an administrative boundary line (界线) between the county (LeftCode) and a neighbour (RightCode,
// RightName; the neighbour need not be a division held here). Geometry is a LineString or MultiLineString in lon/lat;
// RegisteredLengthM is the length in metres given by the boundary agreement, or 0 when unknown.
type BoundaryLine struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	LeftCode          string       `json:"left_code"`
	RightCode         string       `json:"right_code"`
	RightName         string       `json:"right_name,omitempty"`
	Geometry          orb.Geometry `json:"-"`
	RegisteredLengthM float64      `json:"registered_length_m,omitempty"`
}

// Marker types (界桩类型).
const (
	MarkerSingle = "单立" // one marker on the line
	MarkerDouble = "双立" // a pair A/B on both banks, off the line by design
	MarkerTriple = "三立" // at a tri-junction, C/D/E
)

// RegisteredPosition is a marker's position exactly as the register gives it: the CRS (e.g. "EPSG:4550") and the two
// values in the register's axis order. For projected CRSs survey tables print northing first: AxisOrder "north,east",
// First = northing (m), Second = easting (m). For geographic CRSs AxisOrder is "lon,lat" (degrees).
type RegisteredPosition struct {
	CRS       string  `json:"crs"`
	AxisOrder string  `json:"axis_order"`
	First     float64 `json:"first"`
	Second    float64 `json:"second"`
}

// Marker is a boundary marker (界桩) on a line, numbered from 001 along it. Position is its lon/lat in EPSG:4490, converted
// once from Registered at import.
type Marker struct {
	Number         string             `json:"number"`
	LineID         string             `json:"line_id"`
	Type           string             `json:"type"`
	PairLetter     string             `json:"pair_letter,omitempty"`
	Material       string             `json:"material,omitempty"`
	Registered     RegisteredPosition `json:"registered"`
	RegisteredYear int                `json:"registered_year,omitempty"`
	Position       orb.Point          `json:"-"`
}

// DivisionRef names a division in API answers.
type DivisionRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// NearestDivision is a village-level unit and its geodesic distance in metres from the queried point.
type NearestDivision struct {
	DivisionRef
	DistanceM float64 `json:"distance_m"`
}

// Location answers "where is this point": the county and township-level unit whose polygon contains it, and the nearest
// village-level unit (by its point; nil when none is held).
type Location struct {
	County   DivisionRef      `json:"county"`
	Township DivisionRef      `json:"township"`
	Village  *NearestDivision `json:"nearest_village,omitempty"`
}
