package edithttp

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzMergePatch: for any JSON target and patch (RFC 7396 bodies come from clients), MergePatch never panics, its
// result encodes as JSON, and applying the same patch again changes nothing (a merge patch is idempotent).
func FuzzMergePatch(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":1,"b":{"c":2}}`, `{"b":{"c":null,"d":[1]}}`},
		{`{"properties":{"name":"丹城"}}`, `{"properties":{"name":"丹东"}}`},
		{`[1,2]`, `{"a":null}`}, {`{}`, `null`}, {`{"a":{"b":{"c":{}}}}`, `{"a":{"b":{"c":{"d":1}}}}`}, {`1`, `"x"`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, target, patch string) {
		var tv, pv any
		if json.Unmarshal([]byte(target), &tv) != nil || json.Unmarshal([]byte(patch), &pv) != nil {
			return
		}
		once := MergePatch(tv, pv)
		b, err := json.Marshal(once)
		if err != nil {
			t.Fatalf("MergePatch(%s, %s) does not encode: %v", target, patch, err)
		}
		var again any
		_ = json.Unmarshal(b, &again)
		var pv2 any
		_ = json.Unmarshal([]byte(patch), &pv2)
		twice := MergePatch(again, pv2)
		if !reflect.DeepEqual(normalize(twice), normalize(again)) {
			t.Fatalf("MergePatch is not idempotent for %s, %s: %v then %v", target, patch, again, twice)
		}
	})
}

func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
