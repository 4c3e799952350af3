// Package search is civmap's name search: one in-memory index over the names of places, divisions and facilities that
// finds a name by Chinese substring or prefix, full toneless pinyin (with or without spaces, tone marks or tone
// numbers), pinyin initials, homophones (the query's pinyin), traditional characters (OpenCC t2s on the query only) and,
// for Latin input, one typo (one insertion, deletion, substitution or transposition: Damerau–Levenshtein distance 1).
//
// The index is built from Docs (the records' names, pinyin syllables, rank and filters) and answers in a few
// milliseconds for a million names (bench_test.go). It holds no store: Live feeds it from loaders (one per kind) and
// rebuilds a kind when told that it changed, so both stores give identical answers for the same query.
package search

import "github.com/paulmach/orb"

// Kind is the kind of record a Doc names.
type Kind string

// The kinds of record indexed, as named in GET /api/search?kinds=.
const (
	KindPlace    Kind = "place"
	KindDivision Kind = "division"
	KindFacility Kind = "facility"
)

// Kinds lists every kind in answer order.
var Kinds = []Kind{KindDivision, KindPlace, KindFacility}

// Rank orders features of equal match quality: the county before townships, townships before village-level units,
// those before places, places before facilities.
type Rank uint8

// Feature ranks, best first.
const (
	RankCounty Rank = iota
	RankTownship
	RankVillage
	RankPlace
	RankFacility
)

// String is the rank's name in answers.
func (r Rank) String() string {
	switch r {
	case RankCounty:
		return "county"
	case RankTownship:
		return "township"
	case RankVillage:
		return "village"
	case RankPlace:
		return "place"
	}
	return "facility"
}

// Field says which of a record's names a key is.
type Field uint8

// Name fields, in ranking order: the current standard name first, then its short name, then aliases, then former names.
const (
	FieldName Field = iota
	FieldShortName
	FieldAlias
	FieldFormer
)

// String is the field's name in answers.
func (f Field) String() string {
	switch f {
	case FieldName:
		return "name"
	case FieldShortName:
		return "short_name"
	case FieldAlias:
		return "alias"
	}
	return "former"
}

// Name is one name of a record with the field it comes from.
type Name struct {
	Text  string
	Field Field
}

// Doc is one record as the index sees it.
//   - Names: the standard name first (FieldName), then short name, aliases and former names;
//   - Pinyin: the record's own romanization when set by hand ("Dandong Jiedao"); it is indexed beside the syllables the
//     Syllabler gives for Names[0];
//   - Status: the record's status (place: current/historical/abolished; facility: existing/…/closed; division: current);
//     Retired marks the statuses left out unless asked for (abolished places, closed facilities) and ranked after
//     current ones;
//   - Divisions: the division codes it lies in, matched by prefix (a division lists its own code);
//   - Location: a point to show it at (lon/lat, EPSG:4490): a division's seat or label point, a place's point or the
//     centre of its bound, a facility's location.
type Doc struct {
	Kind      Kind
	ID        string
	Names     []Name
	Pinyin    string
	Rank      Rank
	Category  string
	Status    string
	Retired   bool
	Divisions []string
	Location  *orb.Point
}

// Syllabler gives the toneless pinyin of each Han character of a text, in order, lower case, ü as "ü" or "v"
// (names.Romanizer implements it; it reads polyphones by the county reading dictionary). Non-Han characters get no
// entry.
type Syllabler interface {
	Syllables(text string) []string
}
