package book

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"civmap/internal/apierr"
	"civmap/internal/httpx"
)

// Formats are the book's output formats with their media types.
var Formats = map[string]string{
	"html": "text/html; charset=utf-8",
	"pdf":  "application/pdf",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"json": "application/json",
}

// Write renders b in format f (a key of Formats) to w; the request's context bounds the PDF's Chromium run.
func Write(r *http.Request, b *Book, f string, w *bytes.Buffer) error {
	switch f {
	case "html":
		return b.WriteHTML(w)
	case "pdf":
		return b.WritePDF(r.Context(), w)
	case "docx":
		return b.WriteDOCX(w)
	case "json":
		return b.WriteJSON(w)
	}
	return apierr.Field("f", "%q is not a format: use html, pdf, docx or json", f)
}

// Routes registers the draft gazetteer:
//
//	GET /api/gazetteer?f=html|pdf|docx|json&division=&villages=true|false
//
// f defaults to html (the printable book); division a township code limits it to one chapter (400 naming division when
// no such township is held); villages (default true) adds the village-level units as entries. pdf and docx come as
// attachments (gazetteer.pdf, gazetteer.docx); pdf needs Chromium on the server (503 without it). Reads are open.
func Routes(r *mux.Router, st Store, rom Romanizer) {
	httpx.Sub(r).Handle("/api/gazetteer", httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v := r.URL.Query()
		f := v.Get("f")
		if f == "" {
			f = "html"
		}
		if _, ok := Formats[f]; !ok {
			return httpx.BadParam("f", "%q is not a format: use html, pdf, docx or json", httpx.Clip(f))
		}
		villages := true
		if s := v.Get("villages"); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return httpx.BadParam("villages", "%q is not true or false", httpx.Clip(s))
			}
			villages = b
		}
		b, err := Compile(r.Context(), st, rom, Options{Township: v.Get("division"), Villages: villages})
		if _, ok := apierr.AsInvalid(err); ok {
			return httpx.BadRequest(err)
		}
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		err = Write(r, b, f, &buf)
		if errors.Is(err, ErrNoChromium) {
			return httpx.WithStatus(http.StatusServiceUnavailable, err)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", Formats[f])
		if f == "pdf" || f == "docx" {
			w.Header().Set("Content-Disposition", `attachment; filename="gazetteer.`+f+`"`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(buf.Bytes())
		}
		return nil
	})).Methods(http.MethodGet, http.MethodHead)
}
