package names

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
	"github.com/xuri/excelize/v2"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// maxBatchBody is the largest batch sign file accepted, in bytes; maxBatchRows its most rows.
const (
	maxBatchBody = 16 << 20
	maxBatchRows = 100000
)

func (h *api) screeningRoutes(sub *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	sub.Handle("/api/screenings", httpx.HandlerFunc(h.screen)).Methods(http.MethodPost)
	sub.Handle("/api/screenings", httpx.HandlerFunc(h.screenings)).Methods(get...)
	sub.Handle("/api/screenings/{id}", httpx.HandlerFunc(h.screening)).Methods(get...)
	sub.Handle("/api/name-findings", httpx.HandlerFunc(h.findings)).Methods(get...)
	sub.Handle("/api/name-findings/{id}", httpx.HandlerFunc(h.finding)).Methods(get...)
	sub.Handle("/api/name-findings/{id}/state", httpx.HandlerFunc(h.move)).Methods(http.MethodPost)
}

func (h *api) screen(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleEditor); err != nil {
		return err
	}
	if err := httpx.CheckContentType(r, true, "application/json"); err != nil {
		return err
	}
	var body struct {
		Division string `json:"division"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &body); err != nil {
		return err
	}
	rep, err := h.svc.Screen(r.Context(), body.Division, true)
	if err != nil {
		return queryError(err)
	}
	w.Header().Set("Location", "/api/screenings/"+rep.Screening.ID)
	httpx.WriteJSON(w, http.StatusCreated, rep)
	return nil
}

func (h *api) screenings(w http.ResponseWriter, r *http.Request) error {
	ss, err := h.svc.Screenings(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"screenings": ss})
	return nil
}

func (h *api) screening(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = FormatJSON
	}
	if !slices.Contains(ReportFormats, format) {
		return httpx.BadParam("format", "unknown format %s (want json, csv, xlsx, html or geojson)", httpx.Quote(format))
	}
	rep, err := h.svc.ScreeningReport(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, rep, format); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType(format))
	if format == FormatCSV || format == FormatXLSX {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="screening-%s.%s"`, rep.Screening.ID, format))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func (h *api) findings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != FormatJSON && format != FormatGeoJSON {
		return httpx.BadParam("format", "unknown format %s (want json or geojson)", httpx.Quote(format))
	}
	fs, err := h.svc.Findings(r.Context(), FindingQuery{Division: q.Get("division"), Kind: q.Get("kind"),
		State: q.Get("state")})
	if err != nil {
		return queryError(err)
	}
	if format == FormatGeoJSON {
		var buf bytes.Buffer
		if err := WriteReport(&buf, Report{Findings: fs}, FormatGeoJSON); err != nil {
			return err
		}
		w.Header().Set("Content-Type", ContentType(FormatGeoJSON))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"findings": fs})
	return nil
}

func (h *api) finding(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	f, err := h.svc.TrackedFinding(r.Context(), id)
	if err != nil {
		return err
	}
	if httpx.NotModified(w, r, f.Version) {
		return nil
	}
	httpx.SetETag(w, f.Version)
	httpx.WriteJSON(w, http.StatusOK, f)
	return nil
}

func (h *api) move(w http.ResponseWriter, r *http.Request) error {
	if err := edit.Require(r.Context(), edit.RoleReviewer); err != nil {
		return err
	}
	id, err := httpx.PathVar(r, "id")
	if err != nil {
		return err
	}
	expect, err := expectVersion(r, false)
	if err != nil {
		return err
	}
	if err := httpx.CheckContentType(r, true, "application/json"); err != nil {
		return err
	}
	var body struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &body); err != nil {
		return err
	}
	f, err := h.svc.MoveFinding(r.Context(), id, body.State, body.Reason, expect)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			return err
		}
		return queryError(err)
	}
	httpx.SetETag(w, f.Version)
	httpx.WriteJSON(w, http.StatusOK, f)
	return nil
}

// SignRow is one row of a batch sign check.
type SignRow struct {
	Name string
	Sign string
}

// ReadSigns reads a batch of signs: CSV or XLSX (first sheet) with the columns name and sign (a first row whose first
// cell is "name" or 名称 is a header). Errors: apierr.Invalid naming "body" (unreadable, no rows, too many) or
// "line N" (a row without two columns).
func ReadSigns(data []byte, xlsx bool) ([]SignRow, error) {
	var rows [][]string
	if xlsx {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, apierr.Field("body", "not an XLSX workbook: %v", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, apierr.Field("body", "the workbook has no sheet")
		}
		rows, err = f.GetRows(sheets[0])
		if err != nil {
			return nil, apierr.Field("body", "reading sheet %q: %v", sheets[0], err)
		}
	} else {
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, apierr.Field("body", "not CSV: %v", err)
			}
			rows = append(rows, rec)
			if len(rows) > maxBatchRows+1 {
				break
			}
		}
	}
	if len(rows) > 0 && len(rows[0]) > 0 {
		if h := strings.ToLower(strings.TrimSpace(rows[0][0])); h == "name" || h == "名称" || h == "标准名称" {
			rows = rows[1:]
		}
	}
	if len(rows) == 0 {
		return nil, apierr.Field("body", "no rows (want columns name,sign)")
	}
	if len(rows) > maxBatchRows {
		return nil, apierr.Field("body", "more than %d rows", maxBatchRows)
	}
	out := make([]SignRow, 0, len(rows))
	var bad apierr.Invalid
	for i, r := range rows {
		if len(r) < 2 {
			bad = append(bad, apierr.FieldError{Location: fmt.Sprintf("line %d", i+1), Field: "sign",
				Reason: "want two columns: name, sign"})
			continue
		}
		out = append(out, SignRow{Name: strings.TrimSpace(r[0]), Sign: r[1]})
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// WriteSignReport writes the batch report: columns name, sign, ok, correct, errors (code: message; …), as CSV or XLSX.
func WriteSignReport(w io.Writer, e *Engine, rows []SignRow, xlsx bool) error {
	header := []string{"名称", "路名牌", "正确", "应为", "错误"}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		var res SignResult
		if strings.TrimSpace(r.Name) == "" {
			res = SignResult{Errors: []SignError{{Code: SignEmpty, Message: "中文名称为空"}}}
		} else {
			res = e.SignCheck(r.Name, r.Sign)
		}
		var errs []string
		for _, er := range res.Errors {
			errs = append(errs, er.Code+": "+er.Message)
		}
		ok := "否"
		if res.OK {
			ok = "是"
		}
		out = append(out, []string{r.Name, r.Sign, ok, res.Correct, strings.Join(errs, "；")})
	}
	if !xlsx {
		cw := csv.NewWriter(w)
		_ = cw.Write(header)
		_ = cw.WriteAll(out)
		return cw.Error()
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range append([][]string{header}, out...) {
		vals := make([]any, len(row))
		for j, c := range row {
			vals[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			return err
		}
	}
	_ = f.SetSheetName("Sheet1", "路名牌检查")
	_, err := f.WriteTo(w)
	return err
}

func (h *api) signBatch(w http.ResponseWriter, r *http.Request, ct string) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBatchBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpx.WithStatus(http.StatusRequestEntityTooLarge,
				apierr.Field("body", "the request body is larger than %d bytes", mbe.Limit))
		}
		return httpx.BadParam("body", "reading the request body: %v", err)
	}
	xlsx := ct == xlsxType
	rows, err := ReadSigns(body, xlsx)
	if err != nil {
		return httpx.BadRequest(err)
	}
	e, err := h.svc.Engine(r.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteSignReport(&buf, e, rows, xlsx); err != nil {
		return err
	}
	if xlsx {
		w.Header().Set("Content-Type", xlsxType)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}
