// Package book compiles the county gazetteer (地名志) draft from the gazetteer's records: entries grouped by township and
// category, each with its standard name, pinyin, category, a location sentence computed from geometry, meaning,
// history and former names; rendered as JSON, printable HTML (table of contents, index by pinyin), PDF (Chromium's
// print to PDF) and DOCX (WordprocessingML).
//
// Coordinates are CGCS2000 lon/lat (EPSG:4490, degrees); distances are geodesic metres on the ellipsoid (geo.Distance).
package book

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/gazetteer"
	"civmap/gazetteer/names"
	"civmap/geo"
	"civmap/internal/apierr"
)

// Romanizer spells a standard name in pinyin by the 1984 rules (names.Romanizer implements it).
type Romanizer interface {
	Romanize(name string) names.Result
}

func spell(rom Romanizer, name string) string { return rom.Romanize(name).Pinyin }

// Store is what the book reads (gazetteer.Store implements it).
type Store interface {
	Divisions(ctx context.Context, q gazetteer.DivisionQuery) ([]gazetteer.Division, error)
	Places(ctx context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error)
	Locate(ctx context.Context, p orb.Point) (gazetteer.Location, error)
}

// Book is the draft gazetteer.
type Book struct {
	Title     string     `json:"title"`
	County    string     `json:"county"`
	Generated time.Time  `json:"generated"`
	Townships []Township `json:"townships"`
	// Index lists every entry in pinyin order (then by name).
	Index []IndexEntry `json:"index"`
}

// Township is one township-level unit's chapter. Seat is the point distances and directions are measured from:
// the division's recorded seat of government (SeatSource "seat": the division record's seat) or, when none is recorded,
// the centroid of its polygon (SeatSource "centroid").
type Township struct {
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Pinyin     string     `json:"pinyin"`
	Seat       *orb.Point `json:"seat,omitempty"`
	SeatSource string     `json:"seat_source,omitempty"`
	Categories []Category `json:"categories"`
}

// Category is one category's entries within a township, ordered by pinyin.
type Category struct {
	Name    string  `json:"name"`
	Entries []Entry `json:"entries"`
}

// Entry is one place name. PinyinSource is "record" (the record's own, set by hand) or "rules" (the Romanizer's).
// Location is the sentence computed from geometry (LocationSentence); Direction (8 compass points, Chinese) and
// DistanceM (metres, from the township seat) are its parts; Village is the nearest village-level unit.
type Entry struct {
	ID           string                 `json:"id"`
	Anchor       string                 `json:"anchor"`
	Name         string                 `json:"name"`
	Pinyin       string                 `json:"pinyin"`
	PinyinSource string                 `json:"pinyin_source"`
	Category     string                 `json:"category"`
	Status       string                 `json:"status"`
	Township     string                 `json:"township,omitempty"`
	Village      string                 `json:"village,omitempty"`
	Direction    string                 `json:"direction,omitempty"`
	DistanceM    *float64               `json:"distance_m,omitempty"`
	Location     string                 `json:"location"`
	Meaning      string                 `json:"meaning,omitempty"`
	History      string                 `json:"history,omitempty"`
	FormerNames  []gazetteer.FormerName `json:"former_names,omitempty"`

	townCode string
}

// IndexEntry is one line of the index by pinyin.
type IndexEntry struct {
	Pinyin   string `json:"pinyin"`
	Name     string `json:"name"`
	Township string `json:"township"`
	Anchor   string `json:"anchor"`
}

// Options chooses what the book holds: Township a township code (or "" for the whole county); Villages adds the
// village-level units (村民委员会、社区) as entries of category 村级区划.
type Options struct {
	Township string
	Villages bool
	Now      time.Time
}

// VillageCategory is the category of village-level unit entries.
const VillageCategory = "村级区划"

// Compile reads the divisions and the current and historical places of st and builds the book. A township code that
// is not held is an apierr.Invalid naming "division".
func Compile(ctx context.Context, st Store, rom Romanizer, opt Options) (*Book, error) {
	divs, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		return nil, err
	}
	byCode := map[string]gazetteer.Division{}
	var county gazetteer.Division
	var towns []gazetteer.Division
	for _, d := range divs {
		byCode[d.Code] = d
		switch d.Level {
		case gazetteer.LevelCounty:
			if county.Code == "" {
				county = d
			}
		case gazetteer.LevelTownship:
			if opt.Township == "" || d.Code == opt.Township {
				towns = append(towns, d)
			}
		}
	}
	if opt.Township != "" && len(towns) == 0 {
		return nil, apierr.Field("division", "%q is not a township-level division held here", opt.Township)
	}
	pg, err := st.Places(ctx, gazetteer.PlaceQuery{Statuses: []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical},
		Division: opt.Township})
	if err != nil {
		return nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	b := &Book{Title: "《" + county.Name + "地名志》（草稿）", County: county.Name, Generated: now}
	if county.Name == "" {
		b.Title = "《地名志》（草稿）"
	}
	chapters := map[string]*Township{}
	cats := map[string]map[string][]Entry{}
	for _, t := range towns {
		seat, src := seatOf(t)
		chapters[t.Code] = &Township{Code: t.Code, Name: t.Name, Pinyin: spell(rom, t.Name), Seat: seat, SeatSource: src}
		cats[t.Code] = map[string][]Entry{}
	}
	add := func(town string, e Entry) {
		if _, ok := chapters[town]; !ok {
			return
		}
		cats[town][e.Category] = append(cats[town][e.Category], e)
	}
	for _, p := range pg.Items {
		e := Entry{ID: p.ID, Name: p.Name, Pinyin: p.Pinyin, PinyinSource: "record", Category: p.Category,
			Status: p.Status, Meaning: p.Meaning, History: p.History, FormerNames: p.FormerNames}
		if e.Pinyin == "" {
			e.Pinyin, e.PinyinSource = spell(rom, p.Name), "rules"
		}
		town := townshipOf(p.DivisionCodes)
		if pt, ok := pointOf(p.Geometry); ok {
			if err := locate(ctx, st, &e, pt, chapters, true); err != nil {
				return nil, err
			}
			if town == "" {
				town = e.townCode
			}
		} else {
			e.Location = "无空间位置记录。"
		}
		add(town, e)
	}
	if opt.Villages {
		for _, d := range divs {
			if d.Level != gazetteer.LevelVillage {
				continue
			}
			e := Entry{ID: d.Code, Name: d.Name, Pinyin: spell(rom, d.Name), PinyinSource: "rules",
				Category: VillageCategory, Status: gazetteer.StatusCurrent}
			pt, ok := orb.Point{}, false
			if d.Seat != nil {
				pt, ok = *d.Seat, true
			} else {
				pt, ok = pointOf(d.Geometry)
			}
			if ok {
				if err := locate(ctx, st, &e, pt, chapters, false); err != nil {
					return nil, err
				}
			} else {
				e.Location = "无空间位置记录。"
			}
			add(d.ParentCode, e)
		}
	}
	slices.SortFunc(towns, func(a, b gazetteer.Division) int { return strings.Compare(a.Code, b.Code) })
	for _, t := range towns {
		ch := chapters[t.Code]
		names := make([]string, 0, len(cats[t.Code]))
		for c := range cats[t.Code] {
			names = append(names, c)
		}
		slices.SortFunc(names, func(a, b string) int { // village-level units last, others by name
			if (a == VillageCategory) != (b == VillageCategory) {
				if a == VillageCategory {
					return 1
				}
				return -1
			}
			return strings.Compare(a, b)
		})
		for _, c := range names {
			es := cats[t.Code][c]
			slices.SortFunc(es, func(a, b Entry) int {
				return cmpOr(strings.Compare(strings.ToLower(a.Pinyin), strings.ToLower(b.Pinyin)),
					strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
			})
			for i := range es {
				es[i].Anchor = fmt.Sprintf("e-%s-%s", t.Code, safeAnchor(es[i].ID))
				b.Index = append(b.Index, IndexEntry{Pinyin: es[i].Pinyin, Name: es[i].Name, Township: t.Name,
					Anchor: es[i].Anchor})
			}
			ch.Categories = append(ch.Categories, Category{Name: c, Entries: es})
		}
		b.Townships = append(b.Townships, *ch)
	}
	slices.SortFunc(b.Index, func(a, c IndexEntry) int {
		return cmpOr(strings.Compare(strings.ToLower(a.Pinyin), strings.ToLower(c.Pinyin)),
			strings.Compare(a.Name, c.Name), strings.Compare(a.Anchor, c.Anchor))
	})
	return b, nil
}

func cmpOr(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

func safeAnchor(id string) string {
	var sb strings.Builder
	for _, r := range id {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			sb.WriteRune(r)
		} else {
			fmt.Fprintf(&sb, "_%x", r)
		}
	}
	return sb.String()
}

// townshipOf is the township code of the first division code (its first 9 digits), or "".
func townshipOf(codes []string) string {
	for _, c := range codes {
		if len(c) >= 9 {
			return c[:9]
		}
	}
	return ""
}

// seatOf is the point a township's directions are measured from: its recorded seat, else its polygon's centroid.
func seatOf(d gazetteer.Division) (*orb.Point, string) {
	if d.Seat != nil {
		p := *d.Seat
		return &p, "seat"
	}
	if p, ok := pointOf(d.Geometry); ok {
		return &p, "centroid"
	}
	return nil, ""
}

// pointOf is a geometry's representative point: a point itself, the area centroid of a polygon, the length centroid of
// a line (planar.CentroidArea on lon/lat degrees: the shapes are small enough for the plane).
func pointOf(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case nil:
		return orb.Point{}, false
	case orb.Point:
		return g, true
	}
	p, _ := planar.CentroidArea(g)
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || (p == orb.Point{}) {
		return orb.Point{}, false
	}
	return p, true
}

// locate fills e's township, nearest village, direction, distance and location sentence for point p.
func locate(ctx context.Context, st Store, e *Entry, p orb.Point, chapters map[string]*Township, village bool) error {
	loc, err := st.Locate(ctx, p)
	if errors.Is(err, apierr.ErrNotFound) {
		e.Location = fmt.Sprintf("不在本县任一乡镇（街道）范围内（经度%.6f°，纬度%.6f°）。", p[0], p[1])
		return nil
	}
	if err != nil {
		return err
	}
	e.townCode = loc.Township.Code
	e.Township = loc.Township.Name
	if village && loc.Village != nil {
		e.Village = loc.Village.Name
	}
	var seat *orb.Point
	if ch := chapters[loc.Township.Code]; ch != nil {
		seat = ch.Seat
	}
	if seat == nil {
		e.Location = LocationSentence(e.Township, e.Village, "", 0)
		return nil
	}
	dir, dist := Bearing(*seat, p)
	e.Direction, e.DistanceM = dir, &dist
	e.Location = LocationSentence(e.Township, e.Village, dir, dist)
	return nil
}

// Directions are the 8 compass points in Chinese, clockwise from north, each a 45° sector centred on its direction.
var Directions = [8]string{"北", "东北", "东", "东南", "南", "西南", "西", "西北"}

// Bearing returns the 8-point direction of p seen from the seat and their geodesic distance in metres. The azimuth is
// taken in the local plane at the seat (east and north metres per degree, geo.MetresPerDegree): within a county the
// difference from the geodesic azimuth is far below a sector's 45°.
func Bearing(seat, p orb.Point) (string, float64) {
	lonM, latM := geo.MetresPerDegree(seat[1])
	dx, dy := (p[0]-seat[0])*lonM, (p[1]-seat[1])*latM
	az := math.Atan2(dx, dy) * 180 / math.Pi
	if az < 0 {
		az += 360
	}
	return Directions[int(math.Floor((az+22.5)/45))%8], geo.Distance(seat, p)
}

// AtSeatM is the distance under which a place counts as at the seat (no direction is given).
const AtSeatM = 50

// LocationSentence is the entry's location in words: "位于丹东街道，邻近丹河社区，在丹东街道驻地东北约1.5千米。"
// Distances under 1 km are rounded to 10 m ("约970米"), others to 0.1 km ("约1.5千米"); under AtSeatM it says the
// place is at the seat. An empty direction leaves the seat clause out; an empty village the 邻近 clause.
func LocationSentence(township, village, direction string, distanceM float64) string {
	var sb strings.Builder
	sb.WriteString("位于" + township)
	if village != "" {
		sb.WriteString("，邻近" + village)
	}
	switch {
	case direction == "":
	case distanceM < AtSeatM:
		sb.WriteString("，在" + township + "驻地")
	default:
		sb.WriteString("，在" + township + "驻地" + direction + "约" + FormatDistance(distanceM))
	}
	sb.WriteString("。")
	return sb.String()
}

// FormatDistance writes metres as the book does: under 1 km to the nearest 10 m ("970米"), else to 0.1 km ("1.5千米").
func FormatDistance(m float64) string {
	if r := math.Round(m/10) * 10; r < 1000 {
		return fmt.Sprintf("%.0f米", r)
	}
	return fmt.Sprintf("%.1f千米", math.Round(m/100)/10)
}
