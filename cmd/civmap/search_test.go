package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/gazetteer"
	"civmap/internal/edit"
)

// searchHits runs GET /api/search and returns "id matched quality name" per hit, and numberMatched.
func searchHits(t *testing.T, base, query string) ([]string, int) {
	t.Helper()
	r := do(t, "GET", base+"/api/search?"+query, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", query, r.status, r.body)
	}
	fc := decode[featureCollection](t, r)
	out := make([]string, len(fc.Features))
	for i, f := range fc.Features {
		p := f.Properties
		out[i] = fmt.Sprintf("%v %v %v %v", f.ID, p["matched"], p["quality"], p["name"])
	}
	return out, fc.NumberMatched
}

// TestSearchSample: each query class on the sample, the same answer on both stores. Expected hits: the township first
// (rank), then its facilities (the sample's synthetic facilities are named after their township: 丹东街道敬老院 …)
// ordered by name length then ID.
func TestSearchSample(t *testing.T) {
	dandong := func(matched, quality string) []string {
		return []string{"330225001 " + matched + " " + quality + " 丹东街道",
			"NH-330225001 " + matched + " prefix 丹东街道敬老院", "KY-330225001 " + matched + " prefix 丹东街道康养联合体",
			"SW-330225001 " + matched + " prefix 丹东街道社会工作站", "HC-330225001 " + matched + " prefix 丹东街道居家养老服务中心"}
	}
	cases := []struct {
		query   string
		want    []string
		matched int
	}{
		{"q=dandongjiedao", dandong("pinyin", "exact"), 5},
		{"q=Dandong+Jiedao", dandong("pinyin", "exact"), 5},
		{"q=dxjd", []string{"330225002 initials exact 丹西街道", "NH-330225002 initials prefix 丹西街道敬老院",
			"KY-330225002 initials prefix 丹西街道康养联合体", "SW-330225002 initials prefix 丹西街道社会工作站",
			"HC-330225002 initials prefix 丹西街道居家养老服务中心"}, 5},
		{"q=" + url.QueryEscape("丹東"), dandong("name", "prefix"), 5},
		{"q=dandongjiedoa", dandong("typo", "prefix"), 5},
		{"q=" + url.QueryEscape("鹤浦") + "&kinds=division", []string{"330225103 name prefix 鹤浦镇"}, 1},
		{"q=" + url.QueryEscape("黃避嶴") + "&kinds=division", []string{"330225202 name prefix 黄避岙乡", "330225202209 name prefix 黄避岙村委会"}, 2},
		{"q=huangbiao&kinds=division", []string{"330225202 pinyin prefix 黄避岙乡", "330225202209 pinyin prefix 黄避岙村委会"}, 2},
		{"q=shipu&kinds=division", []string{"330225101 pinyin prefix 石浦镇", "330225101270 pinyin prefix 石浦渔村村委会"}, 2},
		{"q=" + url.QueryEscape("敬老院") + "&division=330225001", []string{"NH-330225001 name substring 丹东街道敬老院"}, 1},
	}
	answers := map[string][][]string{}
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		for _, c := range cases {
			hits, n := searchHits(t, ts.URL, c.query)
			if !slices.Equal(hits, c.want) || n != c.matched {
				t.Errorf("%s: numberMatched %d, hits\n%s\nwant %d,\n%s", c.query, n, strings.Join(hits, "\n"),
					c.matched, strings.Join(c.want, "\n"))
			}
			answers[c.query] = append(answers[c.query], hits)
		}
		// Bad input is a 400 naming the parameter.
		for q, field := range map[string]string{"q=": "q", "q=a&limit=0": "limit", "q=a&limit=x": "limit",
			"q=a&kinds=road": "kinds", "q=" + strings.Repeat("a", 101): "q"} {
			r := do(t, "GET", ts.URL+"/api/search?"+q, "")
			p := decode[problem](t, r)
			if r.status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != field {
				t.Errorf("%s: %d %s, want a 400 naming %s", q, r.status, r.body, field)
			}
		}
	})
	for q, a := range answers {
		if len(a) == 2 && !slices.Equal(a[0], a[1]) {
			t.Errorf("%s: the stores differ:\n%v\n%v", q, a[0], a[1])
		}
	}
}

// TestSearchFollowsEdits: a write through the API or an import is found by the next search, on both stores (the
// store's change notification invalidates the kind).
func TestSearchFollowsEdits(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		q := "q=" + url.QueryEscape("丹东街道敬老院")
		if hits, _ := searchHits(t, ts.URL, q); len(hits) != 1 {
			t.Fatalf("before: %v", hits)
		}
		r := do(t, "GET", ts.URL+"/api/facilities/NH-330225001", "")
		if r := do(t, "DELETE", ts.URL+"/api/facilities/NH-330225001", "", "If-Match", r.header.Get("ETag")); r.status >= 300 {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		if hits, _ := searchHits(t, ts.URL, q); len(hits) != 0 {
			t.Errorf("a closed facility is still found by default: %v", hits)
		}
		if hits, _ := searchHits(t, ts.URL, q+"&status=closed"); !slices.Equal(hits,
			[]string{"NH-330225001 name exact 丹东街道敬老院"}) {
			t.Errorf("status=closed: %v", hits)
		}
		p := gazetteer.Place{ID: "search-new", Name: "新丹河桥", Category: "bridge", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{"330225001"}, Geometry: orb.Point{121.87, 29.47},
			FormerNames: []gazetteer.FormerName{{Name: "丹河老桥", To: "2001"}}}
		if _, err := st.Import(context.Background(), data.Batch{Places: []gazetteer.Place{p}},
			edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
		if hits, _ := searchHits(t, ts.URL, "q="+url.QueryEscape("丹河老桥")); !slices.Equal(hits,
			[]string{"search-new former exact 新丹河桥"}) {
			t.Errorf("after the import: %v", hits)
		}
	})
}
