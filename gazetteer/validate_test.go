package gazetteer

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestNormalizePlaceRejectsTextStoresCannotKeep(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(p *Place)
		field string
	}{
		{"NUL in name", func(p *Place) { p.Name = "丹\x00城" }, "name"},
		{"invalid UTF-8 alias", func(p *Place) { p.Aliases = []string{"ok", "\xff\xfe"} }, "aliases[1]"},
		{"NUL in an attribute", func(p *Place) { p.Attributes = map[string]any{"note": []any{"a\x00"}} }, "attributes.note[0]"},
		{"NUL in a former name", func(p *Place) { p.FormerNames = []FormerName{{Name: "旧\x00"}} }, "former_names[0].name"},
		{"U+FFFD from a JSON decoder", func(p *Place) { p.History = "天\uFFFD安" }, "history"},
		{"BEL", func(p *Place) { p.Meaning = "天\a安" }, "meaning"},
		{"bidi override in the name", func(p *Place) { p.Name = "天\u202E安" }, "name"},
		{"only a zero-width space", func(p *Place) { p.Name = "\u200B" }, "name"},
		{"path traversal id", func(p *Place) { p.ID = "../../etc" }, "id"},
		{"dot-dot id", func(p *Place) { p.ID = ".." }, "id"},
		{"duplicate division", func(p *Place) { p.DivisionCodes = []string{"330225001", "330225001"} }, "division_codes[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Place{Name: "丹城", Category: "town", Geometry: orb.Point{121.87, 29.47}}
			c.edit(&p)
			errs := NormalizePlace(&p, nil)
			if len(errs) == 0 || errs[0].Field != c.field {
				t.Errorf("errors %v; want one naming %s", errs, c.field)
			}
		})
	}
	p := Place{Name: "象山🏮e\u0301", Category: "x", History: "第一行\n第二行\t续", DivisionCodes: []string{"330225002"}, Geometry: orb.Point{121.87, 29.47}}
	if errs := NormalizePlace(&p, nil); len(errs) != 0 {
		t.Errorf("emoji and combining marks rejected: %v", errs)
	}
}

func TestNormalizePlaceRules(t *testing.T) {
	for _, c := range []struct {
		name  string
		p     Place
		field string
	}{
		{"no name", Place{Category: "x", Geometry: orb.Point{1, 2}}, "name"},
		{"no category", Place{Name: "甲", Geometry: orb.Point{1, 2}}, "category"},
		{"bad status", Place{Name: "甲", Category: "x", Status: "gone", Geometry: orb.Point{1, 2}}, "status"},
		{"专名+通名 mismatch", Place{Name: "中山路", Specific: "中山", Generic: "街", Category: "road", Geometry: orb.Point{1, 2}}, "specific"},
		{"bad division code", Place{Name: "甲", Category: "x", DivisionCodes: []string{"33022"}, Geometry: orb.Point{1, 2}}, "division_codes[0]"},
		{"no geometry", Place{Name: "甲", Category: "x"}, "geometry"},
		{"no division code", Place{Name: "甲", Category: "x", DivisionCodes: []string{}, Geometry: orb.Point{1, 2}}, "division_codes"},
		{"lat out of range", Place{Name: "甲", Category: "x", Geometry: orb.Point{121, 95}}, "geometry"},
		{"abolished before established", Place{Name: "甲", Category: "x", Geometry: orb.Point{1, 2}, YearEstablished: 1990, YearAbolished: 1980}, "year_abolished"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.field != "division_codes" && c.p.DivisionCodes == nil {
				c.p.DivisionCodes = []string{"330225002"}
			}
			errs := NormalizePlace(&c.p, nil)
			if len(errs) != 1 || errs[0].Field != c.field {
				t.Errorf("errors %v; want exactly one naming %s", errs, c.field)
			}
		})
	}
	ok := Place{Name: " 中山路 ", Specific: "中山", Generic: "路", Category: "road", DivisionCodes: []string{"330225002"},
		Geometry: orb.Point{121.87, 29.47}}
	if errs := NormalizePlace(&ok, func(string) bool { return true }); len(errs) != 0 || ok.Name != "中山路" || ok.Status != StatusCurrent {
		t.Errorf("valid place: %v, %+v", errs, ok)
	}
}
