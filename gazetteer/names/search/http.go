package search

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"civmap/internal/httpx"
)

// Routes registers the search endpoint:
//
//	GET /api/search?q=&kinds=place,division,facility&division=&category=&status=&limit=
//
// q is required (1–100 characters): Chinese (simplified or traditional), full pinyin with or without spaces, tone marks
// or tone numbers, pinyin initials, or Latin text. kinds is a comma list (default all); division a code prefix;
// category exact (place category, division kind, facility type); status a comma list (default: all but abolished places
// and closed facilities); limit 1–200 (default 20). A bad parameter is a 400 problem naming it.
//
// The answer is a GeoJSON FeatureCollection with "query": {"q", "simplified" (when traditional characters were
// converted)}, numberMatched (records matching in all; homophones and typos are searched only when the better matches
// do not fill the page, see Result) and numberReturned, and one Point Feature per hit (null geometry
// when the record has none) in rank order, id = the record's code or ID, properties:
//
//	kind          "division" | "place" | "facility"
//	id, name      the record's key and standard name
//	matched       how it matched: name | alias | former | pinyin | initials | homophone | typo
//	field         which name matched: name | short_name | alias | former
//	matched_name  that name's text (e.g. the former name)
//	quality       exact | prefix | substring
//	rank          county | township | village | place | facility
//	category, status, division_codes
//
// Ranking: match quality (Chinese exact, prefix, substring; pinyin exact, prefix; initials exact, prefix; pinyin from a
// later syllable; homophone; typo), then current names before aliases before former names, then current records before
// historical and abolished ones, then feature rank, then shorter names, then ID.
func Routes(r *mux.Router, l *Live) {
	httpx.Sub(r).Handle("/api/search", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return serve(w, r, l)
	})).Methods(http.MethodGet, http.MethodHead)
}

func serve(w http.ResponseWriter, r *http.Request, l *Live) error {
	v := r.URL.Query()
	q := Query{Q: v.Get("q"), Division: v.Get("division"), Category: v.Get("category")}
	for _, k := range list(v.Get("kinds")) {
		q.Kinds = append(q.Kinds, Kind(k))
	}
	q.Statuses = list(v.Get("status"))
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return httpx.BadParam("limit", "%q is not a whole number", httpx.Clip(s))
		}
		q.Limit = n
		if n == 0 {
			q.Limit = -1 // 0 is not a valid limit here; Query's 0 means the default
		}
	}
	res, err := l.Search(r.Context(), q)
	var qe *QueryError
	if errors.As(err, &qe) {
		return httpx.BadParam(qe.Field, "%s", qe.Reason)
	}
	if err != nil {
		return err
	}
	httpx.WriteGeoJSON(w, http.StatusOK, Answer(res))
	return nil
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// HitProperties are a hit's GeoJSON properties (see Routes).
type HitProperties struct {
	Kind          Kind     `json:"kind"`
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Matched       string   `json:"matched"`
	Field         string   `json:"field"`
	MatchedName   string   `json:"matched_name"`
	Quality       string   `json:"quality"`
	Rank          string   `json:"rank"`
	Category      string   `json:"category,omitempty"`
	Status        string   `json:"status,omitempty"`
	DivisionCodes []string `json:"division_codes,omitempty"`
}

// AnswerQuery echoes the query.
type AnswerQuery struct {
	Q          string `json:"q"`
	Simplified string `json:"simplified,omitempty"`
}

// AnswerJSON is the body of GET /api/search.
type AnswerJSON struct {
	Type           string          `json:"type"`
	Query          AnswerQuery     `json:"query"`
	NumberMatched  int             `json:"numberMatched"`
	NumberReturned int             `json:"numberReturned"`
	Features       []httpx.Feature `json:"features"`
}

// Answer is the JSON answer for res.
func Answer(res Result) AnswerJSON {
	a := AnswerJSON{Type: "FeatureCollection", Query: AnswerQuery{Q: res.Query, Simplified: res.Simplified},
		NumberMatched: res.NumberMatched, NumberReturned: len(res.Hits), Features: make([]httpx.Feature, len(res.Hits))}
	for i, h := range res.Hits {
		d := h.Doc
		var g orb.Geometry
		if d.Location != nil {
			g = *d.Location
		}
		name := ""
		if len(d.Names) > 0 {
			name = d.Names[0].Text
		}
		a.Features[i] = httpx.Feature{ID: d.ID, Geometry: g, Properties: HitProperties{Kind: d.Kind, ID: d.ID,
			Name: name, Matched: h.Matched, Field: h.Field, MatchedName: h.Text, Quality: h.Quality,
			Rank: d.Rank.String(), Category: d.Category, Status: d.Status, DivisionCodes: d.Divisions}}
	}
	return a
}
