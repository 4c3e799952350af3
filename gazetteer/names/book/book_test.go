package book

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/gazetteer/names"
)

// Expected values by hand: at latitude 29.47° on GRS80 one degree of latitude is 110,843.6 m and one of longitude
// 96,994.9 m (M = a(1−e²)/W³·π/180, N cosφ·π/180 with W = √(1−e² sin²φ)). So 0.01° north is 1,108.4 m, 0.01° east
// 969.9 m, both together 1,472.9 m at azimuth atan2(969.9, 1108.4) = 41.19° (东北); 0.005° west and 0.02° south is
// 2,269.3 m at 192.34° (南, the sector 157.5°–202.5°); 0.02° west, 0.008° north is 2,133.0 m at 294.57° (西北, just past
// 292.5°); 0.0003° west, 0.0002° north is 36.6 m (under 50 m: at the seat).
func TestBearingAndSentence(t *testing.T) {
	seat := orb.Point{121.87, 29.47}
	for _, tc := range []struct {
		dlon, dlat float64
		dir        string
		distM      float64
		sentence   string
	}{
		{0, 0.01, "北", 1108.4, "位于丹东街道，邻近丹河社区，在丹东街道驻地北约1.1千米。"},
		{0.01, 0, "东", 969.9, "位于丹东街道，邻近丹河社区，在丹东街道驻地东约970米。"},
		{0.01, 0.01, "东北", 1472.9, "位于丹东街道，邻近丹河社区，在丹东街道驻地东北约1.5千米。"},
		{-0.005, -0.02, "南", 2269.3, "位于丹东街道，邻近丹河社区，在丹东街道驻地南约2.3千米。"},
		{-0.02, 0.008, "西北", 2133.0, "位于丹东街道，邻近丹河社区，在丹东街道驻地西北约2.1千米。"},
		{-0.0003, 0.0002, "西北", 36.6, "位于丹东街道，邻近丹河社区，在丹东街道驻地。"},
	} {
		p := orb.Point{seat[0] + tc.dlon, seat[1] + tc.dlat}
		dir, d := Bearing(seat, p)
		if dir != tc.dir || math.Abs(d-tc.distM) > 0.5 { // the hand values are in the local plane; geodesic differs by < 0.5 m
			t.Errorf("%v: %s %.2f m, want %s %.1f m", p, dir, d, tc.dir, tc.distM)
		}
		if s := LocationSentence("丹东街道", "丹河社区", dir, d); s != tc.sentence {
			t.Errorf("%v: %s, want %s", p, s, tc.sentence)
		}
	}
	if s := LocationSentence("石浦镇", "", "", 0); s != "位于石浦镇。" {
		t.Errorf("without seat or village: %s", s)
	}
	for m, want := range map[float64]string{0: "0米", 4.9: "0米", 5: "10米", 994.9: "990米", 995: "1.0千米",
		1049.9: "1.0千米", 1050: "1.1千米", 12345: "12.3千米"} {
		if got := FormatDistance(m); got != want {
			t.Errorf("FormatDistance(%v) = %s, want %s", m, got, want)
		}
	}
}

func TestDirectionsSectors(t *testing.T) {
	seat := orb.Point{121.87, 29.47}
	lonM, latM := 96994.85, 110843.56
	for az, want := range map[float64]string{0: "北", 22: "北", 23: "东北", 67: "东北", 68: "东", 112: "东", 113: "东南",
		157: "东南", 158: "南", 202: "南", 203: "西南", 247: "西南", 248: "西", 292: "西", 293: "西北", 337: "西北", 338: "北",
		359: "北"} {
		r := az * math.Pi / 180
		p := orb.Point{seat[0] + 1000*math.Sin(r)/lonM, seat[1] + 1000*math.Cos(r)/latM}
		if got, _ := Bearing(seat, p); got != want {
			t.Errorf("azimuth %v°: %s, want %s", az, got, want)
		}
	}
}

// fakeStore holds two townships (one with a recorded seat, one without) and a few places.
type fakeStore struct {
	divs   []gazetteer.Division
	places []gazetteer.Place
}

func (f *fakeStore) Divisions(context.Context, gazetteer.DivisionQuery) ([]gazetteer.Division, error) {
	return f.divs, nil
}

func (f *fakeStore) Places(_ context.Context, q gazetteer.PlaceQuery) (gazetteer.PlacePage, error) {
	var out []gazetteer.Place
	for _, p := range f.places {
		if gazetteer.Published(p.Status) && (q.Division == "" || strings.HasPrefix(p.DivisionCodes[0], q.Division)) {
			out = append(out, p)
		}
	}
	return gazetteer.PlacePage{Items: out, NumberMatched: len(out)}, nil
}

// Locate: west of 121.9 is 丹东街道 (nearest village 丹河社区), east of it 石浦镇.
func (f *fakeStore) Locate(_ context.Context, p orb.Point) (gazetteer.Location, error) {
	if p[0] < 121.9 {
		return gazetteer.Location{Township: gazetteer.DivisionRef{Code: "330225001", Name: "丹东街道"},
			Village: &gazetteer.NearestDivision{DivisionRef: gazetteer.DivisionRef{Code: "330225001009", Name: "丹河社区"}}}, nil
	}
	return gazetteer.Location{Township: gazetteer.DivisionRef{Code: "330225101", Name: "石浦镇"}}, nil
}

func sampleStore() *fakeStore {
	seat := orb.Point{121.87, 29.47}
	sq := orb.Polygon{{{121.9, 29.1}, {122.1, 29.1}, {122.1, 29.3}, {121.9, 29.3}, {121.9, 29.1}}}
	return &fakeStore{
		divs: []gazetteer.Division{
			{Code: "330225", Name: "象山县", Level: gazetteer.LevelCounty},
			{Code: "330225001", Name: "丹东街道", Level: gazetteer.LevelTownship, Seat: &seat},
			{Code: "330225101", Name: "石浦镇", Level: gazetteer.LevelTownship, Geometry: sq},
			{Code: "330225001009", Name: "丹河社区", Level: gazetteer.LevelVillage, ParentCode: "330225001",
				Geometry: orb.Point{121.88, 29.48}},
		},
		places: []gazetteer.Place{
			{ID: "p1", Name: "丹河桥", Category: "桥梁", Status: gazetteer.StatusCurrent, DivisionCodes: []string{"330225001009"},
				Geometry: orb.Point{121.88, 29.48}, Meaning: "跨丹河而得名。", History: "1985年建。",
				FormerNames: []gazetteer.FormerName{{Name: "丹河老桥", From: "1985", To: "2003"}}},
			{ID: "p2", Name: "东门岛", Category: "岛屿", Status: gazetteer.StatusCurrent, DivisionCodes: []string{"330225101"},
				Geometry: orb.Polygon{{{122.0, 29.2}, {122.02, 29.2}, {122.02, 29.22}, {122.0, 29.22}, {122.0, 29.2}}},
				Pinyin:   "Dongmen Dao"},
			{ID: "p3", Name: "草稿路", Category: "道路", Status: gazetteer.StatusDraft, DivisionCodes: []string{"330225001"},
				Geometry: orb.Point{121.87, 29.47}},
		},
	}
}

func romanizer(t *testing.T) *names.Romanizer {
	r, err := names.Default()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompile(t *testing.T) {
	b, err := Compile(context.Background(), sampleStore(), romanizer(t), Options{Villages: true,
		Now: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if b.Title != "《象山县地名志》（草稿）" || len(b.Townships) != 2 {
		t.Fatalf("title %q, %d townships", b.Title, len(b.Townships))
	}
	dd, sp := b.Townships[0], b.Townships[1]
	if dd.Name != "丹东街道" || dd.SeatSource != "seat" || sp.SeatSource != "centroid" ||
		math.Abs(sp.Seat[0]-122) > 1e-9 || math.Abs(sp.Seat[1]-29.2) > 1e-9 {
		t.Fatalf("townships: %+v / %+v", dd, sp)
	}
	// 丹东街道: 桥梁 then 村级区划 (last). 丹河桥 at 0.01° E and N of the seat: 东北 1,472.9 m.
	if len(dd.Categories) != 2 || dd.Categories[0].Name != "桥梁" || dd.Categories[1].Name != VillageCategory {
		t.Fatalf("categories: %+v", dd.Categories)
	}
	e := dd.Categories[0].Entries[0]
	if e.Name != "丹河桥" || e.Pinyin != "Danhe Qiao" || e.PinyinSource != "rules" ||
		e.Location != "位于丹东街道，邻近丹河社区，在丹东街道驻地东北约1.5千米。" || e.Direction != "东北" ||
		math.Abs(*e.DistanceM-1472.9) > 0.1 || e.Meaning != "跨丹河而得名。" || len(e.FormerNames) != 1 {
		t.Errorf("entry: %+v", e)
	}
	v := dd.Categories[1].Entries[0]
	if v.Name != "丹河社区" || v.Location != "位于丹东街道，在丹东街道驻地东北约1.5千米。" {
		t.Errorf("village entry: %+v", v)
	}
	// 东门岛: centroid (122.01, 29.21), from the polygon centroid seat (122.0, 29.2): 0.01° E and N at 29.2°.
	is := sp.Categories[0].Entries[0]
	if is.Name != "东门岛" || is.Pinyin != "Dongmen Dao" || is.PinyinSource != "record" || is.Direction != "东北" ||
		is.Location != "位于石浦镇，在石浦镇驻地东北约1.5千米。" {
		t.Errorf("island entry: %+v", is)
	}
	// The draft is left out; the index is in pinyin order.
	var idx []string
	for _, i := range b.Index {
		idx = append(idx, i.Pinyin+" "+i.Name)
	}
	if got := strings.Join(idx, ", "); got != "Danhe Qiao 丹河桥, Danhe Shequ 丹河社区, Dongmen Dao 东门岛" {
		t.Errorf("index: %s", got)
	}

	var html bytes.Buffer
	if err := b.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>《象山县地名志》（草稿）</title>", `<a href="#t-330225001">丹东街道</a>`,
		`<h4>丹河桥<span class="py">Danhe Qiao</span></h4>`, "<dd>位于丹东街道，邻近丹河社区，在丹东街道驻地东北约1.5千米。</dd>",
		"<dd>丹河老桥（1985—2003）</dd>", "区划记录未载驻地", `<a href="#e-330225101-p2">Dongmen Dao</a>`} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	var docx bytes.Buffer
	if err := b.WriteDOCX(&docx); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(docx.Bytes()), int64(docx.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			bs, _ := io.ReadAll(rc)
			doc = string(bs)
		}
	}
	for _, want := range []string{`<w:pStyle w:val="Heading3"/></w:pPr><w:r><w:t xml:space="preserve">丹河桥 Danhe Qiao</w:t>`,
		"位置：位于丹东街道，邻近丹河社区，在丹东街道驻地东北约1.5千米。", "曾用名：丹河老桥（1985—2003）"} {
		if !strings.Contains(doc, want) {
			t.Errorf("DOCX lacks %s", want)
		}
	}
	if len(zr.File) != 5 {
		t.Errorf("%d parts in the DOCX", len(zr.File))
	}

	if _, err := Compile(context.Background(), sampleStore(), romanizer(t), Options{Township: "330225999"}); err == nil {
		t.Error("an unknown township compiled")
	}
}
