package inspection

import (
	"bytes"
	"civmap/internal/pdf"
	"context"
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"civmap/geo"
)

// Chinese labels for conditions and verdicts (the report's screen language).
var verdictZH = map[string]string{
	"intact": "完好", "damaged": "损坏", "missing": "丢失", "inscription_unclear": "注记不清",
	VerdictMoved: "移位", VerdictNotInspected: "未检查", "": "—",
}

var reasonZH = map[string]string{
	ReasonUnknownMarker: "界桩不在登记表中", ReasonAxesSwapped: "纵横坐标颠倒", ReasonNoPosition: "缺少坐标",
	ReasonDateOutsideRound: "日期不在检查期内", ReasonCRSMismatch: "坐标系不符", ReasonDuplicateMarker: "界桩重复",
	ReasonBadCoordinate: "坐标不是数字或越界", ReasonBadCondition: "状况不在列表中", ReasonBadDate: "日期无效",
}

// verdictColour colours a verdict on the map figure (and the tile/GeoJSON "colour" property).
var verdictColour = map[string]string{
	"intact": "#2e7d32", "damaged": "#ef6c00", "missing": "#c62828", "inscription_unclear": "#f9a825",
	VerdictMoved: "#6a1b9a", VerdictNotInspected: "#9e9e9e",
}

func fmtM(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f", *p)
}

// mapSVG draws the line and the markers (coloured by verdict) in the line's projected CRS, north up, with a scale bar.
func mapSVG(rep Report) template.HTML {
	crs, err := geo.ParseCRS(rep.Checks.CRS)
	if err != nil {
		return ""
	}
	pl, err := projectLine(crs, rep.Line.Geometry)
	if err != nil {
		return ""
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pl.pts {
		minX, minY, maxX, maxY = math.Min(minX, p.x), math.Min(minY, p.y), math.Max(maxX, p.x), math.Max(maxY, p.y)
	}
	const W, H, pad = 640.0, 520.0, 30.0
	k := math.Min((W-2*pad)/math.Max(maxX-minX, 1), (H-2*pad)/math.Max(maxY-minY, 1))
	tx := func(p xy) (float64, float64) { return pad + (p.x-minX)*k, H - pad - (p.y-minY)*k }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="界线与界桩位置图">`, W, H)
	b.WriteString(`<rect width="100%" height="100%" fill="#fff" stroke="#999"/><polyline fill="none" stroke="#1565c0" stroke-width="2" points="`)
	for _, p := range pl.pts {
		x, y := tx(p)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
	}
	b.WriteString(`"/>`)
	// Line findings: their segment of the line, thick and orange (MapFeatures places them as the tiles do).
	for _, f := range MapFeatures(rep) {
		ls, ok := f.Geometry.(orb.LineString)
		if f.Layer != LayerLineFindings || !ok {
			continue
		}
		b.WriteString(`<polyline class="line-finding" fill="none" stroke="#ff6f00" stroke-width="6" stroke-opacity="0.7" points="`)
		for _, p := range ls {
			if q, err := project(crs, p); err == nil {
				x, y := tx(q)
				fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
			}
		}
		b.WriteString(`"/>`)
	}
	for _, m := range rep.Markers {
		p, err := project(crs, m.Registered)
		if err != nil {
			continue
		}
		x, y := tx(p)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="#000" stroke-width="0.5"/>`, x, y, verdictColour[m.Verdict])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10">%s</text>`, x+7, y+3, template.HTMLEscapeString(strings.TrimPrefix(m.MarkerNo, "象宁")))
	}
	for _, g := range append(append([]SidePiece{}, rep.Checks.Sides.Gaps...), rep.Checks.Sides.Overlaps...) {
		p, err := project(crs, g.Location)
		if err != nil {
			continue
		}
		x, y := tx(p)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="none" stroke="#d50000" stroke-width="2"/>`, x-5, y-5)
	}
	// Scale bar: a round number of kilometres about a quarter of the width.
	km := math.Max(1, math.Round((W/4)/k/1000))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#000" stroke-width="3"/><text x="%.0f" y="%.0f" font-size="11">%.0f 千米</text>`,
		pad, H-12, pad+km*1000*k, H-12, pad, H-16, km)
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="12">北 ↑　%s</text></svg>`, W-110, rep.Checks.CRS)
	return template.HTML(b.String())
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"zh": func(k string) string {
		if v, ok := verdictZH[k]; ok {
			return v
		}
		return k
	},
	"reason": func(k string) string { return reasonZH[k] },
	"m":      fmtM,
	"f2":     func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"f3":     func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"km":     func(v float64) string { return fmt.Sprintf("%.3f", v/1000) },
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{.Line.Name}} {{.Round.Year}}年度界线联合检查报告</title>
<style>
@page { size: A4; margin: 15mm 14mm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", serif; font-size: 10.5pt; color: #000; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 1px solid #000; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; page-break-inside: auto; }
th, td { border: 1px solid #444; padding: 1mm 1.5mm; text-align: left; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { page-break-inside: avoid; }
.meta td { border: none; padding: 0.5mm 1mm; }
.sign { display: flex; gap: 10mm; margin-top: 8mm; page-break-inside: avoid; }
.sign div { flex: 1; border: 1px solid #000; padding: 3mm; min-height: 30mm; }
figure { margin: 0; page-break-inside: avoid; }
figcaption { text-align: center; font-size: 9pt; }
</style></head><body>
<h1>{{.Line.Name}} {{.Round.Year}}年度界线联合检查报告</h1>
<table class="meta">
<tr><td>界线</td><td>{{.Line.Name}}（{{.Line.LeftName}} {{.Line.LeftCode}} — {{.Line.RightName}} {{.Line.RightCode}}）</td></tr>
<tr><td>检查期</td><td>{{.Round.StartedOn}} 至 {{.Round.EndedOn}}</td></tr>
<tr><td>位置限差</td><td>{{f2 .Round.ToleranceM}} 米（坐标系 {{.Checks.CRS}}）</td></tr>
{{with .Line.Agreement}}<tr><td>界线协议书</td><td>{{.Document}} {{.SignedOn}}</td></tr>{{end}}
<tr><td>检查组</td><td>{{range $i, $t := .Round.Teams}}{{if $i}}；{{end}}{{$t.Name}}{{end}}</td></tr>
</table>
<h2>一、检查汇总</h2>
<table id="summary">
<tr><th>界线长度（米）</th><td class="n">{{f2 .Summary.LineLengthM}}</td><th>登记长度（米）</th><td class="n">{{if .Summary.RegisteredLengthM}}{{f2 .Summary.RegisteredLengthM}}{{else}}未登记{{end}}</td></tr>
<tr><th>检查界桩</th><td class="n">{{.Summary.MarkersChecked}}</td><th>完好</th><td class="n">{{.Summary.Intact}}</td></tr>
<tr><th>损坏</th><td class="n">{{.Summary.Damaged}}</td><th>丢失</th><td class="n">{{.Summary.Missing}}</td></tr>
<tr><th>移位</th><td class="n">{{.Summary.Moved}}</td><th>注记不清</th><td class="n">{{.Summary.InscriptionUnclear}}</td></tr>
<tr><th>已修复</th><td class="n">{{.Summary.Repaired}}</td><th>退回行数</th><td class="n">{{.Summary.RejectedRows}}</td></tr>
</table>
<h2>二、界桩检查结果</h2>
<table id="markers"><tr><th>界桩编号</th><th>类型</th><th>检查状况</th><th>位移（米）</th><th>离线距离（米）</th><th>结论</th><th>备注</th></tr>
{{range .Markers}}<tr><td>{{.MarkerNo}}</td><td>{{.Type}}</td><td>{{zh .Condition}}</td><td class="n">{{m .DisplacementM}}</td><td class="n">{{f3 .OffLineM}}{{if .OffLine}} ⚠{{end}}</td><td>{{zh .Verdict}}{{if .OutOfOrder}}（编号顺序不符）{{end}}</td><td>{{.Note}}{{if .Repairs}} 已修复：{{.Repairs}}{{end}}</td></tr>
{{end}}</table>
<h2>三、界线检查</h2>
<table>
<tr><th>编号顺序</th><td>{{if .Checks.OrderOK}}与界线走向一致{{else}}不符：{{range .Checks.OutOfOrder}}{{.}} {{end}}{{end}}</td></tr>
<tr><th>单立界桩偏离界线</th><td>{{if .Checks.OffLine}}{{range .Checks.OffLine}}{{.}} {{end}}{{else}}无（限差 {{f2 .Round.ToleranceM}} 米）{{end}}</td></tr>
<tr><th>长度变化（米）</th><td>{{m .Checks.LengthDeltaM}}</td></tr>
{{range .Checks.TriJunctions}}<tr><th>三交点（与{{.NeighbourLine}}）</th><td>端点相距 {{f3 .DistanceM}} 米{{if .OK}}，符合{{else}}，超限{{end}}{{if .MarkerNo}}；三立界桩 {{.MarkerNo}} 距端点 {{m .MarkerDistanceM}} 米{{end}}</td></tr>{{end}}
</table>
<h3>双方行政区域界线两侧缝隙与重叠</h3>
{{if .Checks.Sides.Run}}<p>沿界线 {{f2 .Checks.Sides.Options.CorridorM}} 米缓冲带内检查（面积 ≥ {{f2 .Checks.Sides.Options.MinAreaM2}} 平方米、宽度 ≥ {{f2 .Checks.Sides.Options.MinWidthM}} 米者列出）。</p>
<table id="sides"><tr><th>类型</th><th>面积（平方米）</th><th>最大宽度（米）</th><th>里程（米）</th><th>位置（经度，纬度）</th></tr>
{{range .Checks.Sides.Gaps}}<tr><td>缝隙</td><td class="n">{{f2 .AreaM2}}</td><td class="n">{{f3 .MaxWidthM}}</td><td class="n">{{f2 .FromM}}–{{f2 .ToM}}</td><td>{{index .Location 0}}, {{index .Location 1}}</td></tr>{{end}}
{{range .Checks.Sides.Overlaps}}<tr><td>重叠</td><td class="n">{{f2 .AreaM2}}</td><td class="n">{{f3 .MaxWidthM}}</td><td class="n">{{f2 .FromM}}–{{f2 .ToM}}</td><td>{{index .Location 0}}, {{index .Location 1}}</td></tr>{{end}}
{{if and (not .Checks.Sides.Gaps) (not .Checks.Sides.Overlaps)}}<tr><td colspan="5">未发现缝隙或重叠</td></tr>{{end}}
</table>{{else}}<p>未检查：{{.Checks.Sides.Reason}}</p>{{end}}
<h2>四、界线检查记录</h2>
<table><tr><th>区段</th><th>变化情况</th><th>跨界建设</th><th>备注</th></tr>
{{range .LineFindings}}<tr><td>{{if or .FromMarker .ToMarker}}{{.FromMarker}}–{{.ToMarker}}{{else}}里程 {{f2 .FromM}}–{{f2 .ToM}} 米{{end}}</td><td>{{.Change}}</td><td>{{.Construction}}</td><td>{{.Note}}</td></tr>{{else}}<tr><td colspan="4">无</td></tr>{{end}}
</table>
{{if .Rejected}}<h2>五、退回的记录行</h2>
<table><tr><th>行号</th><th>界桩编号</th><th>原因</th><th>说明</th></tr>
{{range .Rejected}}<tr><td class="n">{{.Line}}</td><td>{{.MarkerNo}}</td><td>{{reason .Reason}}（{{.Reason}}）</td><td>{{.Message}}</td></tr>{{end}}
</table>{{end}}
<figure>{{.Map}}<figcaption>图 界线与界桩位置示意（绿 完好，橙 损坏，红 丢失，黄 注记不清，紫 移位，灰 未检查；红框 缝隙或重叠，橙色粗线 界线检查记录区段）</figcaption></figure>
<div class="sign">
{{range .Signers}}<div><b>{{.}}</b><br><br>组长（签字）：<br><br>成员（签字）：<br><br>日期：　　年　　月　　日</div>{{end}}
</div>
</body></html>
`))

// HTML renders the report as a printable A4 page in Chinese, with the map figure (inline SVG) and a signature block
// for both sides' teams.
func HTML(rep Report) ([]byte, error) {
	signers := []string{}
	for _, t := range rep.Round.Teams {
		signers = append(signers, t.Name)
	}
	for len(signers) < 2 {
		names := []string{rep.Line.LeftName, rep.Line.RightName}
		signers = append(signers, names[len(signers)]+"检查组")
	}
	var b bytes.Buffer
	err := reportTmpl.Execute(&b, struct {
		Report
		Map     template.HTML
		Signers []string
	}{rep, mapSVG(rep), signers})
	return b.Bytes(), err
}

// XLSX renders the report as a workbook: sheet 汇总 (the summary), 界桩 (the per-marker table with the JSON keys as
// the header), 缝隙重叠 (gaps and overlaps), 界线检查记录 (the line findings), 退回行 (the rejected rows).
func XLSX(rep Report) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	s := rep.Summary
	var delta any = "未登记"
	if rep.Checks.LengthDeltaM != nil {
		delta = *rep.Checks.LengthDeltaM
	}
	sheets := []struct {
		name string
		rows [][]any
	}{
		{"汇总", [][]any{{"项目", "key", "值"},
			{"界线", "line", rep.Line.Name}, {"年度", "year", rep.Round.Year}, {"界线长度（米）", "line_length_m", s.LineLengthM},
			{"登记长度（米）", "registered_length_m", s.RegisteredLengthM}, {"检查界桩", "markers_checked", s.MarkersChecked},
			{"完好", "intact", s.Intact}, {"损坏", "damaged", s.Damaged}, {"丢失", "missing", s.Missing}, {"移位", "moved", s.Moved},
			{"注记不清", "inscription_unclear", s.InscriptionUnclear}, {"已修复", "repaired", s.Repaired},
			{"退回行数", "rejected_rows", s.RejectedRows},
			{"编号顺序与界线走向一致", "order_ok", rep.Checks.OrderOK},
			{"单立界桩偏离界线", "off_line", strings.Join(rep.Checks.OffLine, " ")},
			{"长度变化（米）", "length_delta_m", delta},
			{"缝隙", "gaps", len(rep.Checks.Sides.Gaps)}, {"重叠", "overlaps", len(rep.Checks.Sides.Overlaps)}}},
	}
	mk := [][]any{{"marker_no", "type", "condition", "displacement_m", "verdict", "off_line_m", "inspected_on", "team", "note"}}
	for _, m := range rep.Markers {
		var d any = ""
		if m.DisplacementM != nil {
			d = *m.DisplacementM
		}
		mk = append(mk, []any{m.MarkerNo, m.Type, m.Condition, d, m.Verdict, m.OffLineM, m.InspectedOn, m.Team, m.Note})
	}
	sd := [][]any{{"kind", "area_m2", "max_width_m", "from_m", "to_m", "lon", "lat"}}
	for _, g := range append(append([]SidePiece{}, rep.Checks.Sides.Gaps...), rep.Checks.Sides.Overlaps...) {
		sd = append(sd, []any{g.Kind, g.AreaM2, g.MaxWidthM, g.FromM, g.ToM, g.Location[0], g.Location[1]})
	}
	lf := [][]any{{"id", "from_marker", "to_marker", "from_m", "to_m", "change", "construction", "note"}}
	for _, l := range rep.LineFindings {
		lf = append(lf, []any{l.ID, l.FromMarker, l.ToMarker, l.FromM, l.ToM, l.Change, l.Construction, l.Note})
	}
	rj := [][]any{{"line", "marker_no", "reason", "message"}}
	for _, r := range rep.Rejected {
		rj = append(rj, []any{r.Line, r.MarkerNo, r.Reason, r.Message})
	}
	sheets = append(sheets, struct {
		name string
		rows [][]any
	}{"界桩", mk}, struct {
		name string
		rows [][]any
	}{"缝隙重叠", sd}, struct {
		name string
		rows [][]any
	}{"界线检查记录", lf}, struct {
		name string
		rows [][]any
	}{"退回行", rj})
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return nil, err
		}
		for r, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return nil, err
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PDF prints the HTML report to A4 PDF with headless Chromium (internal/pdf).
func PDF(ctx context.Context, rep Report) ([]byte, error) {
	page, err := HTML(rep)
	if err != nil {
		return nil, err
	}
	return pdf.FromHTML(ctx, page)
}
