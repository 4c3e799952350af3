package apierr

import "testing"

func TestInvalidAdd(t *testing.T) {
	var v Invalid
	v.Add("name", "is required")
	v.Add("code", "%q has %d digits", "12", 2)
	want := Invalid{{Field: "name", Reason: "is required"}, {Field: "code", Reason: `"12" has 2 digits`}}
	if len(v) != len(want) || v[0] != want[0] || v[1] != want[1] {
		t.Fatalf("got %#v, want %#v", v, want)
	}
}
