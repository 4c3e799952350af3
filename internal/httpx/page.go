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

// Page is a parsed limit/offset pair. Limit is always at least 1 when it comes from ParsePage: a store's "Limit <= 0
// means no limit" never reaches it from a request.
type Page struct {
	Limit  int
	Offset int
}

// ParsePage reads the limit and offset query parameters: limit defaults to def and must be an integer in [1, max];
// offset defaults to 0 and must be a non-negative integer. Errors are 400 naming the parameter, e.g. limit=0 is
// "must be between 1 and 1000".
func ParsePage(r *http.Request, def, max int) (Page, error) {
	q := r.URL.Query()
	p := Page{Limit: def}
	if s := strings.TrimSpace(q.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return Page{}, BadParam("limit", "%q is not an integer; want one between 1 and %d", s, max)
		case n < 1 || n > max:
			return Page{}, BadParam("limit", "must be between 1 and %d, got %d", max, n)
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

// PageOf returns the items of page p: items[p.Offset : p.Offset+p.Limit], clipped to the slice (nil past its end). A
// Limit <= 0 takes every item from Offset on.
func PageOf[T any](items []T, p Page) []T {
	if p.Offset < 0 || p.Offset >= len(items) {
		return nil
	}
	end := len(items)
	if p.Limit > 0 && p.Limit < end-p.Offset {
		end = p.Offset + p.Limit
	}
	return items[p.Offset:end]
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
