package names

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"civmap/internal/httpx"
)

// Report formats.
const (
	FormatJSON    = "json"
	FormatCSV     = "csv"
	FormatXLSX    = "xlsx"
	FormatHTML    = "html"
	FormatGeoJSON = "geojson" // the findings as Point features (for the map's findings layer)
)

// ReportFormats lists the formats WriteReport writes.
var ReportFormats = []string{FormatJSON, FormatCSV, FormatXLSX, FormatHTML, FormatGeoJSON}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ContentType is the media type of a report format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return xlsxType
	case FormatHTML:
		return "text/html; charset=utf-8"
	case FormatGeoJSON:
		return "application/geo+json"
	}
	return "application/json"
}

// kindNames are the report's Chinese headings of the kinds.
var kindNames = map[string]string{
	KindDa: "大（夸大）", KindYang: "洋（崇洋）", KindGuai: "怪（怪异）", KindZhong: "重（重名、同音）",
	KindSpelling: "拼写", KindFormat: "格式", KindHeritage: "文化遗产与豁免", KindLocation: "区位",
}

var stateNames = map[string]string{
	StateFound: "已发现", StateConfirmed: "已确认", StateRectifying: "整改中", StateDone: "已完成", StateExempt: "豁免",
}

var findingHeader = []string{"乡镇街道代码", "乡镇街道", "类别", "规则", "严重程度", "记录类型", "记录编号", "名称", "问题说明",
	"证据", "涉及记录", "建议", "状态", "理由", "问题编号"}

func findingRow(f TrackedFinding) []string {
	id := f.Record.Code
	if id == "" {
		id = f.Record.ID
	}
	var recs []string
	for _, r := range f.Evidence.Records {
		c := r.Code
		if c == "" {
			c = r.ID
		}
		recs = append(recs, r.Name+" "+c)
	}
	rk := "地名"
	if f.Record.Kind == "division" {
		rk = "区划"
	}
	return []string{f.Township, f.TownshipName, f.Kind, f.Rule, f.Severity, rk, id, f.Record.Name, f.Message,
		f.Evidence.Word, strings.Join(recs, "；"), f.Suggestion, stateNames[f.State], f.Reason, f.ID}
}

var progressHeader = []string{"乡镇街道代码", "乡镇街道", "问题数", "大", "洋", "怪", "重", "拼写", "格式", "区位", "豁免说明",
	"已发现", "已确认", "整改中", "已完成", "豁免", "进度（%）"}

func progressRow(t TownshipSummary) []string {
	row := []string{t.Code, t.Name, strconv.Itoa(t.Total)}
	for _, k := range []string{KindDa, KindYang, KindGuai, KindZhong, KindSpelling, KindFormat, KindLocation, KindHeritage} {
		row = append(row, strconv.Itoa(t.Kinds[k]))
	}
	for _, s := range States {
		row = append(row, strconv.Itoa(t.States[s]))
	}
	return append(row, strconv.FormatFloat(t.Progress, 'f', 1, 64))
}

// WriteReport writes rep in format (json, csv, xlsx or html). CSV holds the findings, a blank line, then the progress
// by township; XLSX has the sheets 问题清单 and 进度; HTML is a printable page (A4) grouped by township and kind.
func WriteReport(w io.Writer, rep Report, format string) error {
	switch format {
	case FormatJSON, "":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write(findingHeader)
		for _, f := range rep.Findings {
			_ = cw.Write(findingRow(f))
		}
		_ = cw.Write(nil)
		_ = cw.Write(progressHeader)
		for _, t := range rep.Townships {
			_ = cw.Write(progressRow(t))
		}
		cw.Flush()
		return cw.Error()
	case FormatXLSX:
		return writeXLSX(w, rep)
	case FormatHTML:
		return reportPage.Execute(w, htmlReport(rep))
	case FormatGeoJSON:
		// RFC 7946: one Point feature per finding with a position (id = the finding's id, properties = the finding).
		fs := []httpx.Feature{}
		for _, f := range rep.Findings {
			if len(f.Point) == 2 {
				fs = append(fs, httpx.Feature{ID: f.ID, Geometry: orb.Point{f.Point[0], f.Point[1]}, Properties: f})
			}
		}
		return json.NewEncoder(w).Encode(httpx.FeatureCollection{Features: fs})
	}
	return fmt.Errorf("unknown format %q (want json, csv, xlsx or html)", format)
}

func writeXLSX(w io.Writer, rep Report) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := func(name string, header []string, rows [][]string) error {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		put := func(i int, cells []string) error {
			vals := make([]any, len(cells))
			for j, c := range cells {
				vals[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			return sw.SetRow(cell, vals)
		}
		if err := put(0, header); err != nil {
			return err
		}
		for i, r := range rows {
			if err := put(i+1, r); err != nil {
				return err
			}
		}
		return sw.Flush()
	}
	var fr, pr [][]string
	for _, x := range rep.Findings {
		fr = append(fr, findingRow(x))
	}
	for _, t := range rep.Townships {
		pr = append(pr, progressRow(t))
	}
	if err := sheet("问题清单", findingHeader, fr); err != nil {
		return err
	}
	if err := sheet("进度", progressHeader, pr); err != nil {
		return err
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	_, err := f.WriteTo(w)
	return err
}

type htmlKind struct {
	Name     string
	Findings []TrackedFinding
}

type htmlTownship struct {
	TownshipSummary
	Kinds []htmlKind
}

type htmlData struct {
	Report
	Groups []htmlTownship
	Header []string
	Rows   [][]string
}

func htmlReport(rep Report) htmlData {
	d := htmlData{Report: rep, Header: progressHeader}
	for _, t := range rep.Townships {
		d.Rows = append(d.Rows, progressRow(t))
		g := htmlTownship{TownshipSummary: t}
		for _, k := range FindingKinds {
			var fs []TrackedFinding
			for _, f := range rep.Findings {
				code := f.Township
				if code == "" {
					code = rep.Screening.Division
				}
				if code == t.Code && f.Kind == k {
					fs = append(fs, f)
				}
			}
			if len(fs) > 0 {
				g.Kinds = append(g.Kinds, htmlKind{Name: kindNames[k], Findings: fs})
			}
		}
		d.Groups = append(d.Groups, g)
	}
	return d
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"state": func(s string) string { return stateNames[s] },
	"refs": func(f TrackedFinding) string {
		var parts []string
		for _, r := range f.Evidence.Records {
			c := r.Code
			if c == "" {
				c = r.ID
			}
			parts = append(parts, r.Name+"（"+c+"）")
		}
		return strings.Join(parts, "、")
	},
	"code": func(r RecordRef) string {
		if r.Code != "" {
			return r.Code
		}
		return r.ID
	},
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{.Screening.DivisionName}}不规范地名排查报告</title>
<style>
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", serif; font-size: 10.5pt; color: #000; }
h1 { text-align: center; font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #000; page-break-before: auto; }
h3 { font-size: 12pt; } table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
th, td { border: 1px solid #444; padding: 2pt 4pt; vertical-align: top; } th { background: #eee; }
.meta { text-align: center; color: #333; } section { page-break-inside: avoid; }
</style></head><body>
<h1>{{.Screening.DivisionName}}不规范地名排查报告</h1>
<p class="meta">区划代码 {{.Screening.Division}} · 排查编号 {{.Screening.ID}} · {{.Screening.CreatedAt.Format "2006-01-02 15:04 UTC"}} ·
检查名称 {{.Screening.Names}} 条 · 发现问题 {{len .Findings}} 条</p>
<h2>各乡镇街道整治进度</h2>
<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
{{range .Groups}}<section><h2>{{.Name}}（{{.Code}}）：{{.Total}} 条，进度 {{printf "%.1f" .Progress}}%</h2>
{{range .Kinds}}<h3>{{.Name}}</h3>
<table><thead><tr><th>名称</th><th>编号</th><th>问题说明</th><th>涉及记录</th><th>建议</th><th>状态</th></tr></thead><tbody>
{{range .Findings}}<tr><td>{{.Record.Name}}</td><td>{{code .Record}}</td><td>{{.Message}}</td><td>{{refs .}}</td><td>{{.Suggestion}}</td><td>{{state .State}}{{if .Reason}}：{{.Reason}}{{end}}</td></tr>
{{end}}</tbody></table>{{end}}</section>
{{end}}</body></html>
`))
