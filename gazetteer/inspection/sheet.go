package inspection

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"civmap/internal/apierr"
)

// Columns are the columns of a team's spreadsheet, in the order. All are required in the header (any order,
// case-insensitive); values may be empty where the row allows it. An optional "repairs" column records repairs done.
var Columns = []string{"marker_no", "inspected_on", "condition", "x_north_m", "y_east_m", "crs", "team", "note"}

// MaxSheetBytes is the largest spreadsheet an import reads (2 MiB, the server's default body limit: a line has tens of
// markers, not thousands).
const MaxSheetBytes = 2 << 20

// Sheet formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// XLSXContentType is the media type of an Office Open XML workbook.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// row is one data row: its file line (header = 1) and its cells by column name.
type row struct {
	line  int
	cells map[string]string
}

// SniffFormat picks the format from the bytes first (a ZIP "PK\x03\x04" is XLSX, an OLE2 compound file is the old
// .xls, refused) and from contentType when the bytes say nothing (text is CSV). contentType may be empty.
func SniffFormat(b []byte, contentType string) (string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return FormatXLSX, nil
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", apierr.Field("body", "this is an old Excel .xls workbook; save it as .xlsx (Excel 2007+) or CSV UTF-8")
	case mt == XLSXContentType:
		return "", apierr.Field("body", "Content-Type says XLSX but the body is not a ZIP-based workbook")
	case mt == "" || mt == "text/csv" || mt == "text/plain" || mt == "application/csv" || mt == "application/octet-stream":
		return FormatCSV, nil
	}
	return "", apierr.Field("Content-Type", "unsupported media type %q; send text/csv or %s", contentType, XLSXContentType)
}

// readSheet reads the header and data rows of a CSV (UTF-8, optional BOM) or XLSX (first sheet) file. A missing
// column, a file that is not UTF-8 (GBK/GB 18030 is named as such), or an unreadable workbook is an apierr.Invalid
// naming "body" or the column: the whole file is refused.
func readSheet(b []byte, format string) ([]row, error) {
	var recs [][]string
	var lines []int
	switch format {
	case FormatXLSX:
		// Limits against zip bombs: a sheet of tens of rows unpacks to kilobytes.
		f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{RawCellValue: true, UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
		if err != nil {
			return nil, apierr.Field("body", "the workbook cannot be read: %v", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, apierr.Field("body", "the workbook has no sheet")
		}
		rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, apierr.Field("body", "sheet %q cannot be read: %v", sheets[0], err)
		}
		for i, r := range rows {
			recs = append(recs, r)
			lines = append(lines, i+1)
		}
	default:
		b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		if !utf8.Valid(b) {
			return nil, notUTF8(b)
		}
		cr := csv.NewReader(bytes.NewReader(b))
		cr.FieldsPerRecord = -1
		cr.TrimLeadingSpace = true
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, apierr.Field("body", "CSV: %v", err)
			}
			line, _ := cr.FieldPos(0)
			recs = append(recs, rec)
			lines = append(lines, line)
		}
	}
	if len(recs) == 0 {
		return nil, apierr.Field("body", "the file is empty; want a header row %s", strings.Join(Columns, ","))
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var bad apierr.Invalid
	for _, c := range Columns {
		if _, ok := idx[c]; !ok {
			bad = append(bad, apierr.FieldError{Location: "line 1", Field: c,
				Reason: fmt.Sprintf("the header has no column %q; want %s", c, strings.Join(Columns, ","))})
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	want := append(append([]string{}, Columns...), "repairs")
	var out []row
	for i := 1; i < len(recs); i++ {
		r := row{line: lines[i], cells: map[string]string{}}
		empty := true
		for _, c := range want {
			j, ok := idx[c]
			if !ok || j >= len(recs[i]) {
				continue
			}
			v := strings.TrimSpace(recs[i][j])
			r.cells[c] = v
			if v != "" {
				empty = false
			}
		}
		if !empty {
			out = append(out, r)
		}
	}
	return out, nil
}

// notUTF8 explains a CSV that is not UTF-8, naming GBK when the bytes decode as GB 18030 with Chinese in them.
func notUTF8(b []byte) error {
	line := 1
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	if dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil && strings.IndexFunc(string(dec), func(r rune) bool {
		return unicode.Is(unicode.Han, r)
	}) >= 0 {
		return apierr.Invalid{{Location: fmt.Sprintf("line %d", line), Field: "body",
			Reason: "the file is GBK (GB 18030) encoded, as Excel/WPS save CSV on Chinese Windows; save it as \"CSV UTF-8\" (or convert: iconv -f GB18030 -t UTF-8) and send it again"}}
	}
	return apierr.Invalid{{Location: fmt.Sprintf("line %d", line), Field: "body",
		Reason: "the file is not UTF-8 text; save it as \"CSV UTF-8\""}}
}

// SheetDates returns the first and last inspected_on date (YYYY-MM-DD) among a sheet's rows that have a readable one:
// the CLI's default field dates for a round it creates. A whole-file problem is the import's error.
func SheetDates(b []byte, contentType string) (first, last string, err error) {
	format, err := SniffFormat(b, contentType)
	if err != nil {
		return "", "", err
	}
	rows, err := readSheet(b, format)
	if err != nil {
		return "", "", err
	}
	for _, r := range rows {
		d, err := parseSheetDate(r.cells["inspected_on"])
		if err != nil {
			continue
		}
		s := d.Format(dateLayout)
		if first == "" || s < first {
			first = s
		}
		if s > last {
			last = s
		}
	}
	if first == "" {
		return "", "", apierr.Field("inspected_on", "no row has a date YYYY-MM-DD; give --started-on and --ended-on")
	}
	return first, last, nil
}
