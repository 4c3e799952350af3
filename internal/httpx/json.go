package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"

	"civmap/internal/apierr"
	"civmap/internal/jsonx"
)

// Media types.
const (
	JSONContentType       = "application/json"
	GeoJSONContentType    = "application/geo+json"
	MergePatchContentType = "application/merge-patch+json"
)

// DefaultMaxBody is the body size limit DecodeJSON callers use unless they need more: 8 MiB (a township polygon with
// tens of thousands of vertices fits).
const DefaultMaxBody = 8 << 20

// WriteJSON writes v as JSON (application/json) with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, JSONContentType, v) }

// WriteGeoJSON writes v as GeoJSON (application/geo+json, RFC 7946) with the given status.
func WriteGeoJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, GeoJSONContentType, v)
}

// writeJSON encodes v before writing anything, so an encoding failure (e.g. a stored geometry that is not valid lon/lat)
// is answered 500 rather than as a truncated body.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		ref := newRef()
		slog.Default().Error("encoding a response failed", "ref", ref, "err", err)
		if contentType == ProblemContentType {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		WriteProblem(w, http.StatusInternalServerError, "internal error (reference "+ref+"); the server log has the details")
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// CheckContentType answers whether the request's Content-Type is one of allowed (parameters such as charset ignored).
// A missing Content-Type is accepted when allowMissing is set. Otherwise it returns a 415 error naming Content-Type.
func CheckContentType(r *http.Request, allowMissing bool, allowed ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if allowMissing {
			return nil
		}
		return WithStatus(http.StatusUnsupportedMediaType,
			apierr.Field("Content-Type", "a Content-Type is required; want one of %v", allowed))
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, a := range allowed {
			if mt == a {
				return nil
			}
		}
	}
	return WithStatus(http.StatusUnsupportedMediaType,
		apierr.Field("Content-Type", "unsupported media type %q; want one of %v", ct, allowed))
}

// DecodeJSON reads the request body (at most maxBytes) and decodes one JSON value into v. Errors, all naming the field
// "body" (or the member for a type mismatch): an empty body, malformed JSON (with the byte offset), a value of the wrong
// JSON type for a member, data after the value (400), and a body over maxBytes (413).
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return WithStatus(http.StatusRequestEntityTooLarge,
				apierr.Field("body", "the request body is larger than %d bytes", mbe.Limit))
		}
		return BadParam("body", "reading the request body: %v", err)
	}
	return UnmarshalJSON(body, v, false)
}

// UnmarshalJSON decodes data, which must hold exactly one JSON value, into v; strict refuses object members that v has
// no field for. Numbers decoded into an `any` (attributes) are kept exactly, as json.Number in jsonx.CanonicalNumber's
// text (what PostgreSQL's jsonb gives back); one without such a text (more than 400 digits) is refused. Errors are 400 (BadRequest) naming the field: "body" for malformed JSON (with the byte offset), the
// member's JSON path for a type mismatch or an unknown member.
func UnmarshalJSON(data []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return BadParam("body", "the request body is empty; want a JSON value")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err, data)
	}
	end := dec.InputOffset()
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return BadParam("body", "unexpected data after the JSON value, which ends at byte offset %d", end)
	}
	if err := jsonx.Canonical(v); err != nil {
		return BadParam("body", "%v; send it as a string", err)
	}
	return nil
}

func jsonError(err error, data []byte) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe): // a decoder reading a limited body straight from the request
		return WithStatus(http.StatusRequestEntityTooLarge,
			apierr.Field("body", "the request body is larger than %d bytes", mbe.Limit))
	case errors.As(err, &se):
		return BadParam("body", "malformed JSON at byte offset %d: %v", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return BadParam("body", "malformed JSON: the body ends at byte offset %d before the value is complete", len(data))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return BadParam(field, "want %s, got a JSON %s", jsonKind(te.Type), te.Value)
	}
	// json: unknown field "x"
	var name string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
		field := name
		if field == "" {
			field = "body"
		}
		return BadParam(field, "unknown member %q", name)
	}
	return BadParam("body", "%v", err)
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a JSON value"
}
