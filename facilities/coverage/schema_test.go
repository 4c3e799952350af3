package coverage

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"civmap/facilities"
)

// TestPlanSchema: plan.schema.json (draft 2020-12) accepts the default plan and the YAML test plan, rejects the bad
// plans of TestPlanBadInput that a schema can express (the rest — duplicate ids, a phase without targets, targets of
// unknown phases — are Validate's alone, as the schema's description says), and lists exactly facilities.Types.
func TestPlanSchema(t *testing.T) {
	raw, err := os.ReadFile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plan.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, plan []byte, ok bool) {
		t.Helper()
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(plan))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); (err == nil) != ok {
			t.Errorf("%s: schema says %v, want valid = %v", name, err, ok)
		}
	}
	check("default plan", defaultPlanJSON, true)
	for name, edit := range map[string]func(m map[string]any){
		"unknown type":          func(m map[string]any) { ind(m, 2)["types"] = []any{"canteen", "pizzeria"} },
		"negative distance":     func(m map[string]any) { ind(m, 2)["distance_m"] = -5 },
		"zero distance":         func(m map[string]any) { ind(m, 1)["distance_m"] = 0 },
		"distance over 100 km":  func(m map[string]any) { ind(m, 1)["distance_m"] = 100001 },
		"target over 100 %":     func(m map[string]any) { ind(m, 1)["targets"] = map[string]any{"2025": 101} },
		"presence over 100 %":   func(m map[string]any) { ind(m, 3)["targets"] = map[string]any{"2025": 150} },
		"negative target":       func(m map[string]any) { ind(m, 0)["targets"] = map[string]any{"2025": -1} },
		"unknown kind":          func(m map[string]any) { ind(m, 0)["kind"] = "vibes" },
		"unknown scope":         func(m map[string]any) { ind(m, 0)["scope"] = "province" },
		"ratio without per":     func(m map[string]any) { delete(ind(m, 0), "per") },
		"bad county":            func(m map[string]any) { m["county"] = "3302" },
		"unknown member":        func(m map[string]any) { ind(m, 0)["colour"] = "red" },
		"coverage without dist": func(m map[string]any) { delete(ind(m, 1), "distance_m") },
	} {
		var m map[string]any
		if err := json.Unmarshal(defaultPlanJSON, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		if _, err := ParsePlan(b); err == nil {
			t.Errorf("%s: Validate accepts it", name)
		}
		check(name, b, false)
	}
	var enum struct {
		Defs struct {
			Type struct {
				Enum []string `json:"enum"`
			} `json:"type"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &enum); err != nil {
		t.Fatal(err)
	}
	slices.Sort(enum.Defs.Type.Enum)
	if !slices.Equal(enum.Defs.Type.Enum, sortedKeys(facilities.Types)) {
		t.Errorf("schema types %v, facilities.Types %v", enum.Defs.Type.Enum, sortedKeys(facilities.Types))
	}
}
