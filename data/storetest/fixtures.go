package storetest

import (
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
)

// The fixture is a made-up county on a grid near Xiangshan (lon 121.0–121.4, lat 29.0–29.2):
//
//	lat 29.2 ┌──────────────────┬─────────┐
//	         │ D 330225200      │         │   D has a hole (121.05–121.08, 29.13–29.16)
//	lat 29.1 ├────────┬─────────┼─────────┤   county only (not in any township): x > 121.2, y > 29.1
//	         │ A …001 │ B …002  │ C …100  │ ▫ C's island (121.35–121.38, 29.02–29.05)
//	lat 29.0 └────────┴─────────┴─────────┘
//	       121.0    121.1     121.2     121.3        121.4
const (
	codeCounty = "330225"
	codeA      = "330225001"
	codeB      = "330225002"
	codeC      = "330225100"
	codeD      = "330225200"
)

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}} // counter-clockwise, closed
}

func squareCW(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x0, y1}, {x1, y1}, {x1, y0}, {x0, y0}} // clockwise (a hole), closed
}

func ptr[T any](v T) *T { return &v }

func fixtureDivisions() []gazetteer.Division {
	village := func(code, name, kind, parent string, x, y float64) gazetteer.Division {
		return gazetteer.Division{Code: code, Name: name, Level: gazetteer.LevelVillage, Kind: kind, ParentCode: parent,
			Geometry: orb.Point{x, y}}
	}
	return []gazetteer.Division{
		// Deliberately not in code order: stores must sort.
		{Code: codeD, Name: "黄避岙乡", Level: gazetteer.LevelTownship, Kind: "township", ParentCode: codeCounty,
			Geometry: orb.Polygon{square(121.0, 29.1, 121.2, 29.2), squareCW(121.05, 29.13, 121.08, 29.16)},
			Seat:     &orb.Point{121.15, 29.17}},
		{Code: codeCounty, Name: "象山县", Level: gazetteer.LevelCounty, Kind: "county", ParentCode: "330200",
			Geometry: orb.Polygon{square(121.0, 29.0, 121.4, 29.2)}, Seat: &orb.Point{121.0333, 29.0444}},
		{Code: codeB, Name: "丹西街道", Level: gazetteer.LevelTownship, Kind: "subdistrict", ParentCode: codeCounty,
			Geometry: orb.Polygon{square(121.1, 29.0, 121.2, 29.1)}, Seat: &orb.Point{121.15, 29.05}},
		{Code: codeA, Name: "丹东街道", Level: gazetteer.LevelTownship, Kind: "subdistrict", ParentCode: codeCounty,
			Geometry: orb.Polygon{square(121.0, 29.0, 121.1, 29.1)}, Seat: &orb.Point{121.05, 29.06}},
		{Code: codeC, Name: "石浦镇", Level: gazetteer.LevelTownship, Kind: "town", ParentCode: codeCounty,
			Geometry: orb.MultiPolygon{
				{square(121.2, 29.0, 121.3, 29.1)},
				{square(121.35, 29.02, 121.38, 29.05)}, // the island
			}},
		village("330225001201", "东村", "village", codeA, 121.02, 29.02),
		village("330225001001", "金秋社区", "community", codeA, 121.05, 29.05),
		village("330225002001", "西谷社区", "community", codeB, 121.15, 29.05),
		village("330225002202", "边界村", "village", codeB, 121.105, 29.08), // in B, 6 mm of a degree from A's edge
		village("330225100201", "番西村", "village", codeC, 121.25, 29.05),
		village("330225100202", "岛村", "village", codeC, 121.36, 29.03), // on the island
		village("330225200201", "高泥村", "village", codeD, 121.15, 29.15),
		// Around (121.12, 29.12): 北塘村 is 0.009° north (≈997 m), 南塘村 0.0095° east (≈924 m). Nearest in metres is
		// 南塘村; nearest in raw degrees would be 北塘村.
		village("330225200202", "北塘村", "village", codeD, 121.12, 29.129),
		village("330225200203", "南塘村", "village", codeD, 121.1295, 29.12),
	}
}

func fixturePlaces() []gazetteer.Place {
	return []gazetteer.Place{
		{ID: "地名-02", Name: "旧城隍庙", Category: "temple", Status: gazetteer.StatusAbolished,
			DivisionCodes: []string{codeD}, Geometry: orb.Point{121.06, 29.14}, YearAbolished: 1966},
		{ID: "B-001", Name: "丹城路", Specific: "丹城", Generic: "路", Pinyin: "Dancheng Lu", Category: "road",
			Status: gazetteer.StatusCurrent, DivisionCodes: []string{"330225001001"}, Geometry: orb.Point{121.05, 29.05}},
		{ID: "B-002", Name: "象山公园", Specific: "象山", Generic: "公园", ShortName: "象园", Aliases: []string{"丹山公园"},
			Pinyin: "Xiangshan Gongyuan", Category: "park", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeB}, Geometry: orb.Polygon{square(121.11, 29.01, 121.12, 29.02)}},
		{ID: "a-003", Name: "靖南大街", Pinyin: "Jingnan Dajie", Category: "road", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeA, codeB}, Geometry: orb.LineString{{121.08, 29.03}, {121.13, 29.08}}},
		{ID: "Ω-1", Name: "50%折扣店", Category: "shop", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeC}, Geometry: orb.Point{121.25, 29.06}},
		{ID: "Ω-2", Name: "A_B商店", Category: "shop", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeC}, Geometry: orb.Point{121.26, 29.06}},
		{ID: "Ω-3", Name: "AxB 50元店", Category: "shop", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeC}, Geometry: orb.Point{121.27, 29.06}},
		{ID: "地名-01", Name: "石浦渔港", Pinyin: "Shipu Yugang", Category: "harbour", Status: gazetteer.StatusHistorical,
			DivisionCodes: []string{"330225100202"}, Geometry: orb.MultiPoint{{121.36, 29.03}, {121.37, 29.04}}},
	}
}

// placeOrder is every fixture place except the abolished one, in ID byte order ("B" < "a" < "Ω" < "地").
var placeOrder = []string{"B-001", "B-002", "a-003", "Ω-1", "Ω-2", "Ω-3", "地名-01"}

func fixtureLines() []gazetteer.BoundaryLine {
	return []gazetteer.BoundaryLine{
		{ID: "象鄞线", Name: "象山县—鄞州区", LeftCode: codeCounty, RightCode: "330212", RightName: "鄞州区",
			Geometry: orb.LineString{{121.0, 29.2}, {121.1, 29.2}}},
		{ID: "象宁线", Name: "象山县—宁海县", LeftCode: codeCounty, RightCode: "330226", RightName: "宁海县",
			Geometry:          orb.MultiLineString{{{121.0, 29.0}, {121.0, 29.1}}, {{121.0, 29.1}, {121.0, 29.2}}},
			RegisteredLengthM: 70123.45},
		{ID: "象奉线", Name: "象山县—奉化区", LeftCode: codeCounty, RightCode: "330213",
			Geometry: orb.LineString{{121.1, 29.2}, {121.2, 29.2}}},
	}
}

// lineOrder is the fixture lines in ID byte order (奉 U+5949 < 宁 U+5B81 < 鄞 U+911E).
var lineOrder = []string{"象奉线", "象宁线", "象鄞线"}

func fixtureMarkers() []gazetteer.Marker {
	m := func(num, line, typ, pair, material string, north, east float64, x, y float64) gazetteer.Marker {
		return gazetteer.Marker{Number: num, LineID: line, Type: typ, PairLetter: pair, Material: material,
			Registered:     gazetteer.RegisteredPosition{CRS: "EPSG:4550", AxisOrder: "north,east", First: north, Second: east},
			RegisteredYear: 2018, Position: orb.Point{x, y}}
	}
	return []gazetteer.Marker{
		m("象宁010B", "象宁线", gazetteer.MarkerDouble, "B", "混凝土", 3241707.106, 378229.063, 121.0001, 29.15),
		m("象宁001", "象宁线", gazetteer.MarkerTriple, "", "混凝土", 3267275.078, 364815.454, 121.0, 29.2),
		m("象宁006A", "象宁线", gazetteer.MarkerDouble, "A", "混凝土", 3255116.520, 370755.362, 120.9999, 29.1),
		m("象奉001", "象奉线", gazetteer.MarkerSingle, "", "花岗岩", 3265312.875, 366316.956, 121.15, 29.2),
		m("象宁010A", "象宁线", gazetteer.MarkerDouble, "A", "混凝土", 3241707.106, 378205.063, 120.9999, 29.15),
		m("象宁006B", "象宁线", gazetteer.MarkerDouble, "B", "混凝土", 3255116.520, 370779.362, 121.0001, 29.1),
		m("象宁002", "象宁线", gazetteer.MarkerSingle, "", "花岗岩", 3263519.644, 361576.831, 121.0, 29.05),
	}
}

var xiangningMarkerOrder = []string{"象宁001", "象宁002", "象宁006A", "象宁006B", "象宁010A", "象宁010B"}

func fixtureFacilities() []facilities.Facility {
	return []facilities.Facility{
		{ID: "养老-02", Name: "丹东老年食堂", Type: "canteen", Status: "existing", TownshipCode: codeA,
			CapacityMealsPerDay: ptr(80), Location: orb.Point{121.06, 29.06}},
		{ID: "F-001", Name: "丹东街道敬老院", Type: "nursing_home", Status: "existing", TownshipCode: codeA,
			CapacityBeds: ptr(120), SmartTerminal: ptr(true), Location: orb.Point{121.05, 29.06}},
		{ID: "F-002", Name: "西谷共享餐厅", Type: "canteen", Status: "existing", TownshipCode: codeB,
			CapacityBeds: ptr(0), CapacityMealsPerDay: ptr(200), SmartTerminal: ptr(false), Location: orb.Point{121.15, 29.06}},
		{ID: "f-003", Name: "西谷助餐点", Type: "meal_point", Status: "planned", TownshipCode: codeB,
			Location: orb.Point{121.16, 29.07}},
		{ID: "养老-01", Name: "石浦镇居家养老服务中心", Type: "home_care_center", Status: "under_construction",
			TownshipCode: codeC, Attributes: map[string]any{"provenance": "synthetic", "floors": 3},
			Location: orb.Point{121.25, 29.07}},
	}
}

var facilityOrder = []string{"F-001", "F-002", "f-003", "养老-01", "养老-02"}

func fixtureDemand() []facilities.DemandUnit {
	return []facilities.DemandUnit{
		{Code: "330225002001", Name: "西谷社区", TownshipCode: codeB, ElderlyPopulation: 455, Location: orb.Point{121.15, 29.05}},
		{Code: "330225001201", Name: "东村", TownshipCode: codeA, ElderlyPopulation: 312, Location: orb.Point{121.02, 29.02}},
		{Code: "330225001001", Name: "金秋社区", TownshipCode: codeA, ElderlyPopulation: 801, Location: orb.Point{121.05, 29.05}},
		{Code: "330225100202", Name: "岛村", TownshipCode: codeC, ElderlyPopulation: 0, Location: orb.Point{121.36, 29.03}},
	}
}

func fixture() data.Batch {
	return data.Batch{
		Divisions:  fixtureDivisions(),
		Places:     fixturePlaces(),
		Lines:      fixtureLines(),
		Markers:    fixtureMarkers(),
		Facilities: fixtureFacilities(),
		Demand:     fixtureDemand(),
	}
}

// fullPlace sets every field of Place (the store-managed ones are overwritten by the store).
func fullPlace(id string) gazetteer.Place {
	return gazetteer.Place{
		ID: id, Name: "石浦🐟渔港", Specific: "石浦", Generic: "渔港", ShortName: "石港",
		Aliases: []string{"Shipu Harbour", "中国渔村 🎣"}, Pinyin: "Shípǔ Yúgǎng", Category: "2601", Status: gazetteer.StatusCurrent,
		DivisionCodes: []string{"330225100", "330225100202"},
		Geometry:      orb.Polygon{square(121.36, 29.03, 121.37, 29.04), squareCW(121.362, 29.032, 121.364, 29.034)},
		Meaning:       "因石浦港得名", History: "明洪武年间设石浦巡检司\n清代沿用", Description: "国家中心渔港 \"quoted\" <tag> & 'apos'",
		FormerNames: []gazetteer.FormerName{
			{Name: "石浦港", From: "1368", To: "1949-10-01", Citation: "《象山县志》卷三"},
			{Name: "旧港"},
		},
		DateNamed: "1950-05-01", YearEstablished: 1368, YearAbolished: 0, Heritage: true,
		Source: "第二次全国地名普查", Registrant: "张三",
		Approval: &gazetteer.Approval{Authority: "象山县人民政府", DocumentNo: "象政发〔2015〕12号",
			ApprovedOn: "2015-03-01", AnnouncedOn: "2015-03-10", FiledOn: "2015-04-01"},
		Attributes: map[string]any{"note": "备注 🏯", "n": 3, "ratio": 0.25, "ok": true,
			"nested": map[string]any{"list": []any{1, "x", false}}, "empty": ""},
		Version: 42, // ignored: the store sets Version and the timestamps
	}
}
