package coverage

import (
	"encoding/json"
	"strings"
	"testing"

	"civmap/internal/apierr"
)

func TestDefaultPlan(t *testing.T) {
	p := Default()
	if p.ID != DefaultPlanID || p.County != "330225" || len(p.Phases) != 2 {
		t.Fatalf("default plan: %+v", p)
	}
	// DOMAIN.md §4's table, row by row.
	want := map[string]struct {
		kind   string
		t2025  float64
		t2035  float64
		has35  bool
		distM  float64
		distCM float64
	}{
		"beds":                    {KindRatio, 35, 40, true, 0, 0},
		"home-care":               {KindCoverage, 90, 100, true, 1000, 1000},
		"meal":                    {KindCoverage, 60, 90, true, 1000, 500},
		"kangyang":                {KindPresence, 50, 100, true, 0, 0},
		"hc-centre":               {KindPresence, 100, 100, true, 0, 0},
		"count-canteen":           {KindCount, 10, 0, false, 0, 0},
		"count-shared-restaurant": {KindCount, 8, 0, false, 0, 0},
		"count-meal-point":        {KindCount, 30, 0, false, 0, 0},
		"count-courtyard-beds":    {KindCount, 100, 0, false, 0, 0},
		"care-staff":              {KindRatio, 30, 30, true, 0, 0},
	}
	if len(p.Indicators) != len(want) {
		t.Fatalf("%d indicators, want %d", len(p.Indicators), len(want))
	}
	for _, in := range p.Indicators {
		w, ok := want[in.ID]
		if !ok {
			t.Fatalf("unexpected indicator %q", in.ID)
		}
		_, has35 := in.Targets["2035"]
		if in.Kind != w.kind || in.Targets["2025"] != w.t2025 || in.Targets["2035"] != w.t2035 || has35 != w.has35 ||
			in.DistanceM != w.distM || (w.distCM != 0 && in.CommunityDistance() != w.distCM) || in.Source == "" {
			t.Errorf("%s: %+v", in.ID, in)
		}
	}
	if in, _ := p.Indicator("beds"); in.Per != 1000 || in.Supply != SupplyBeds {
		t.Errorf("beds per %v %s", in.Per, in.Supply)
	}
	if in, _ := p.Indicator("care-staff"); in.Per != 10000 {
		t.Errorf("care-staff per %v", in.Per)
	}
}

// TestPlanBadInput: each bad plan of the issue is an apierr.Invalid naming the path.
func TestPlanBadInput(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"unknown type", func(m map[string]any) { ind(m, 2)["types"] = []any{"canteen", "pizzeria"} }, "indicators[2].types[1]"},
		{"negative distance", func(m map[string]any) { ind(m, 2)["distance_m"] = -5 }, "indicators[2].distance_m"},
		{"zero distance", func(m map[string]any) { ind(m, 1)["distance_m"] = 0 }, "indicators[1].distance_m"},
		{"distance over 100 km", func(m map[string]any) { ind(m, 1)["distance_m"] = 100001 }, "indicators[1].distance_m"},
		{"bad community distance", func(m map[string]any) { ind(m, 2)["distance_m_community"] = -1 }, "indicators[2].distance_m_community"},
		{"target over 100 %", func(m map[string]any) { ind(m, 1)["targets"] = map[string]any{"2025": 101} }, "indicators[1].targets.2025"},
		{"presence over 100 %", func(m map[string]any) { ind(m, 3)["targets"] = map[string]any{"2025": 150} }, "indicators[3].targets.2025"},
		{"negative target", func(m map[string]any) { ind(m, 0)["targets"] = map[string]any{"2025": -1} }, "indicators[0].targets.2025"},
		{"phase with no targets", func(m map[string]any) { m["phases"] = []any{"2025", "2035", "2050"} }, "phases[2]"},
		{"target for unknown phase", func(m map[string]any) { ind(m, 0)["targets"] = map[string]any{"2030": 3} }, "indicators[0].targets.2030"},
		{"duplicate ids", func(m map[string]any) { ind(m, 4)["id"] = "meal" }, "indicators[4].id"},
		{"unknown kind", func(m map[string]any) { ind(m, 0)["kind"] = "vibes" }, "indicators[0].kind"},
		{"unknown scope", func(m map[string]any) { ind(m, 0)["scope"] = "province" }, "indicators[0].scope"},
		{"ratio without per", func(m map[string]any) { delete(ind(m, 0), "per") }, "indicators[0].per"},
		{"no source", func(m map[string]any) { ind(m, 5)["source"] = " " }, "indicators[5].source"},
		{"bad county", func(m map[string]any) { m["county"] = "3302" }, "county"},
		{"unknown member", func(m map[string]any) { ind(m, 0)["colour"] = "red" }, "indicators[0]"},
		{"unknown top member", func(m map[string]any) { m["colour"] = "red" }, "body"},
		{"string distance", func(m map[string]any) { ind(m, 1)["distance_m"] = "far" }, "indicators[1].distance_m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(defaultPlanJSON, &m); err != nil {
				t.Fatal(err)
			}
			c.edit(m)
			b, _ := json.Marshal(m)
			_, err := ParsePlan(b)
			inv, ok := apierr.AsInvalid(err)
			if !ok {
				t.Fatalf("err = %v, want apierr.Invalid", err)
			}
			found := false
			for _, fe := range inv {
				found = found || fe.Field == c.field
			}
			if !found {
				t.Fatalf("errors %v do not name %s", inv, c.field)
			}
		})
	}
}

func TestParsePlanYAML(t *testing.T) {
	y := `id: small
name: 小规划
county: "330225"
phases: ["2025"]
indicators:
  - id: meal
    name: 助餐
    kind: coverage
    types: [canteen]
    distance_m: 800
    scope: township
    targets: {"2025": 50}
    source: test
`
	p, err := ParsePlan([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if p.Indicators[0].DistanceM != 800 || p.Indicators[0].Scope != ScopeTownship {
		t.Fatalf("%+v", p)
	}
	_, err = ParsePlan([]byte(strings.Replace(y, "800", "-800", 1)))
	if inv, _ := apierr.AsInvalid(err); len(inv) != 1 || inv[0].Field != "indicators[0].distance_m" {
		t.Fatalf("err %v", err)
	}
}

func ind(m map[string]any, i int) map[string]any { return m["indicators"].([]any)[i].(map[string]any) }
