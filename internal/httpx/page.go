package httpx

import (
	"net/http"
	"strconv"
	"strings"
)

// Paging limits for lists.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is a parsed limit/offset pair.
type Page struct {
	Limit  int
	Offset int
}

// ParsePage reads the limit and offset query parameters: limit defaults to def and must be an integer in [0, max]
// (0 answers only numberMatched); offset defaults to 0 and must be a non-negative integer. Errors are 400 naming the
// parameter.
func ParsePage(r *http.Request, def, max int) (Page, error) {
	q := r.URL.Query()
	p := Page{Limit: def}
	if s := strings.TrimSpace(q.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return Page{}, BadParam("limit", "%q is not an integer", s)
		case n < 0:
			return Page{}, BadParam("limit", "must not be negative, got %d", n)
		case n > max:
			return Page{}, BadParam("limit", "%d is above the maximum %d", n, max)
		}
		p.Limit = n
	}
	if s := strings.TrimSpace(q.Get("offset")); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return Page{}, BadParam("offset", "%q is not an integer", s)
		case n < 0:
			return Page{}, BadParam("offset", "must not be negative, got %d", n)
		}
		p.Offset = n
	}
	return p, nil
}

// Link is a link in a FeatureCollection, as OGC API – Features (and RFC 8288) give it.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// SelfLink is the link to the request's own URL (path and query; relative references resolve against the request).
func SelfLink(r *http.Request) Link {
	u := *r.URL
	u.Scheme, u.Host, u.User = "", "", nil
	return Link{Href: u.RequestURI(), Rel: "self", Type: GeoJSONContentType}
}

// PageLinks returns the self link and, when more features remain after this page (offset+returned < matched and the
// page is not empty), a next link; a prev link when offset > 0. The links keep the request's other query parameters and
// set limit and offset.
func PageLinks(r *http.Request, p Page, returned, matched int) []Link {
	links := []Link{SelfLink(r)}
	at := func(offset int, rel string) Link {
		u := *r.URL
		u.Scheme, u.Host, u.User = "", "", nil
		q := u.Query()
		q.Set("limit", strconv.Itoa(p.Limit))
		q.Set("offset", strconv.Itoa(offset))
		u.RawQuery = q.Encode()
		return Link{Href: u.RequestURI(), Rel: rel, Type: GeoJSONContentType}
	}
	if returned > 0 && p.Offset+returned < matched {
		links = append(links, at(p.Offset+returned, "next"))
	}
	if p.Offset > 0 {
		links = append(links, at(max(0, p.Offset-p.Limit), "prev"))
	}
	return links
}
