package coverage

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParsePlan: any input is a plan or an error, never a panic; a plan that parses is valid and survives a JSON
// round trip unchanged.
func FuzzParsePlan(f *testing.F) {
	f.Add(defaultPlanJSON)
	f.Add([]byte("id: a\nname: b\ncounty: \"330225\"\nphases: [\"2025\"]\nindicators: []\n"))
	f.Add([]byte(`{"id":"x","name":"y","county":"330225","phases":["2025"],"indicators":[{"id":"m","name":"n","kind":"coverage","types":["canteen"],"distance_m":1e309,"scope":"county","targets":{"2025":50},"source":"s"}]}`))
	f.Add([]byte("- 1\n- [2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed plan does not validate: %v", err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePlan(b)
		if err != nil || !reflect.DeepEqual(normal(p), normal(q)) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, q)
		}
	})
}

// normal maps nil and empty slices/maps alike for the comparison.
func normal(p Plan) Plan {
	for i := range p.Indicators {
		if len(p.Indicators[i].Types) == 0 {
			p.Indicators[i].Types = nil
		}
		if len(p.Indicators[i].Targets) == 0 {
			p.Indicators[i].Targets = nil
		}
	}
	return p
}
