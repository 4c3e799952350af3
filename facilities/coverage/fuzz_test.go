package coverage

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"civmap/facilities"
	"civmap/internal/httpx/httpxtest"
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

// FuzzParseQuery: any parameters of GET /api/coverage/query are a query or a 400 naming the parameter; an accepted
// query has known types and statuses and distances in (0, MaxDistanceM] metres (the community distance 0 = unset).
func FuzzParseQuery(f *testing.F) {
	f.Add("nursing_home", "existing", "1000", "")
	f.Add("nursing_home,canteen", "existing,planned", "500", "300")
	f.Add("", "", "", "")
	f.Add("x", "existing", "NaN", "-1")
	f.Add("canteen", " , ", "1e309", "0x10")
	f.Fuzz(func(t *testing.T, types, statuses, dist, community string) {
		v := url.Values{"types": {types}, "statuses": {statuses}, "distance_m": {dist}, "distance_m_community": {community}}
		q, err := ParseQuery(v.Get)
		if err != nil {
			httpxtest.RequireBadParam(t, v.Encode(), err)
			return
		}
		if len(q.Types) == 0 || len(q.Statuses) == 0 {
			t.Fatalf("%v: accepted without types or statuses: %+v", v, q)
		}
		for _, s := range q.Types {
			if _, ok := facilities.Types[s]; !ok {
				t.Fatalf("%v: unknown type %q accepted", v, s)
			}
		}
		for _, s := range q.Statuses {
			if _, ok := facilities.Statuses[s]; !ok {
				t.Fatalf("%v: unknown status %q accepted", v, s)
			}
		}
		if !(q.DistanceM > 0 && q.DistanceM <= MaxDistanceM) || !(q.DistanceCommunityM >= 0 && q.DistanceCommunityM <= MaxDistanceM) {
			t.Fatalf("%v: distances %v, %v m accepted", v, q.DistanceM, q.DistanceCommunityM)
		}
	})
}
