package httpx

import (
	"net/http"
	"strings"
)

// CORS is the Fetch standard's cross-origin policy of a group of routes: any origin may read the answers
// (Access-Control-Allow-Origin: *, without credentials — civmap's writes carry a bearer token in Authorization, which a
// page sends explicitly, not a cookie).
type CORS struct {
	// Methods answer a preflight's Access-Control-Allow-Methods.
	Methods []string
	// Headers answer a preflight's Access-Control-Allow-Headers; nil echoes the preflight's
	// Access-Control-Request-Headers (any request header allowed), or DefaultHeaders when it names none.
	Headers []string
	// DefaultHeaders is Access-Control-Allow-Headers when Headers is nil and the preflight names none.
	DefaultHeaders []string
	// Expose lists the response headers beyond the CORS-safelisted ones that a page may read
	// (Access-Control-Expose-Headers).
	Expose []string
}

// PreparedCORS holds a CORS policy's header values, made once.
type PreparedCORS struct {
	origin, expose []string
}

// Prepared makes the header values of c once, for handlers that set them themselves (SetHeaders).
func (c CORS) Prepared() PreparedCORS {
	p := PreparedCORS{origin: []string{"*"}}
	if len(c.Expose) > 0 {
		p.expose = []string{strings.Join(c.Expose, ", ")}
	}
	return p
}

// SetHeaders sets Access-Control-Allow-Origin and Access-Control-Expose-Headers on h, as Handler does on every answer.
// The values are shared slices of length and capacity 1: an Add on h copies them rather than writing into them.
func (p PreparedCORS) SetHeaders(h http.Header) {
	h["Access-Control-Allow-Origin"] = p.origin
	if p.expose != nil {
		h["Access-Control-Expose-Headers"] = p.expose
	}
}

// Handler sets Access-Control-Allow-Origin and Access-Control-Expose-Headers on every answer of next, and answers every
// OPTIONS request itself as a preflight: 204 with the allowed methods and headers, cacheable for a day.
func (c CORS) Handler(next http.Handler) http.Handler {
	methods := strings.Join(c.Methods, ", ")
	headers := strings.Join(c.Headers, ", ")
	defaults := strings.Join(c.DefaultHeaders, ", ")
	prepared := c.Prepared()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		prepared.SetHeaders(h)
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Methods", methods)
		allow := headers
		if c.Headers == nil {
			if allow = r.Header.Get("Access-Control-Request-Headers"); allow == "" {
				allow = defaults
			}
		}
		if allow != "" {
			h.Set("Access-Control-Allow-Headers", allow)
		}
		h.Set("Access-Control-Max-Age", "86400")
		h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	})
}

// APICORS is the policy of the JSON API (/api): reads and writes from any origin, with the headers edits need.
var APICORS = CORS{
	Methods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions},
	Headers: []string{"Accept", "Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-Id"},
	Expose:  []string{"ETag", "Location", "Link", "Retry-After", "X-Request-Id"},
}

// PathCORS applies c to the requests whose path is prefix or lies under prefix + "/", and passes the others to next
// untouched; wrap a router with it so that preflights are answered before routing (a route without OPTIONS would
// answer 405).
func PathCORS(prefix string, c CORS, next http.Handler) http.Handler {
	withCORS := c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == prefix || strings.HasPrefix(p, prefix+"/") {
			withCORS.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
