package inspection

import (
	"bytes"
	"civmap/internal/pdf"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"civmap/internal/edit"
)

// plantedReport imports the planted sheet into a fake store holding 宁海县's polygon too, and reports.
func plantedReport(t *testing.T) Report {
	t.Helper()
	st := newFakeStore(t)
	svc := &Service{Store: st}
	putNeighbour(t, st, "330226", "宁海县")
	r := newRound(t, svc)
	if _, err := svc.Import(inspector(), r.ID, []byte(planted(t)), "text/csv"); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Report(inspector(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func putNeighbourB(b *testing.B, st *fakeStore) {
	geom, _ := json.Marshal(geojson.NewGeometry(sampleCounty(b, "330226")))
	body, _ := json.Marshal(NeighbourPolygon{Code: "330226", Name: "宁海县", Geometry: geom})
	if _, err := st.WriteDocs(inspector(), []edit.DocWrite{{Kind: KindNeighbour, ID: "330226", Body: body}}, edit.Meta{Actor: "t"}); err != nil {
		b.Fatal(err)
	}
}

func putNeighbour(t *testing.T, st *fakeStore, code, name string) {
	t.Helper()
	geom, err := json.Marshal(geojsonGeometry(t, sampleCounty(t, code)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(NeighbourPolygon{Code: code, Name: name, Geometry: geom})
	if _, err := st.WriteDocs(inspector(), []edit.DocWrite{{Kind: KindNeighbour, ID: code, Body: body}}, edit.Meta{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
}

func TestReportSidesRun(t *testing.T) {
	rep := plantedReport(t)
	sd := rep.Checks.Sides
	if !sd.Run || len(sd.Gaps) != 0 || len(sd.Overlaps) != 0 || rep.Line.RightName != "宁海县" || rep.Line.LeftName != "象山县" {
		t.Fatalf("sides %+v, line %+v; want run, none", sd, rep.Line)
	}
	checkPlantedReport(t, rep)
}

// TestHTMLAndPDF: the HTML is A4 Chinese with the summary table and both teams' signature blocks; Chromium prints it
// and the PDF's text (pdftotext) has the summary's labels and figures.
func TestHTMLAndPDF(t *testing.T) {
	rep := plantedReport(t)
	page, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"size: A4", `lang="zh-CN"`, "象宁线 2023年度界线联合检查报告", "象山县联检组", "宁海县联检组",
		"组长（签字）", "<svg", "纵横坐标颠倒"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if _, err := os.Stat(pdf.Chromium()); err != nil {
		t.Fatalf("chromium missing (%v): run scripts/ensure-chromium.sh", err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext missing: make test installs poppler-utils (scripts/ensure-chromium.sh)")
	}
	pdf, err := PDF(context.Background(), rep)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`[ \t]+`).ReplaceAllString(string(out), " ")
	for _, want := range []string{"一、检查汇总", "检查界桩 9 完好 4", "损坏 1 丢失 1", "移位 2 注记不清 1", "已修复 1 退回行数 9",
		"象宁002", "1.300", "5.000", "宁海县联检组"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}

func TestXLSX(t *testing.T) {
	rep := plantedReport(t)
	b, err := XLSX(rep)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("界桩")
	if len(rows) != 17 || strings.Join(rows[0][:5], ",") != "marker_no,type,condition,displacement_m,verdict" ||
		strings.Join(rows[2][:5], ",") != "象宁002,单立,intact,1.3,moved" {
		t.Errorf("界桩 sheet rows %d: %v / %v", len(rows), rows[0], rows[2])
	}
	sum, _ := f.GetRows("汇总")
	if sum[5][1] != "markers_checked" || sum[5][2] != "9" || sum[12][1] != "rejected_rows" || sum[12][2] != "9" ||
		sum[13][1] != "order_ok" || sum[13][2] != "TRUE" || sum[14][2] != "象宁002" || sum[15][2] != "未登记" {
		t.Errorf("汇总 %v", sum)
	}
}

func geojsonGeometry(t *testing.T, g orb.Geometry) *geojson.Geometry { return geojson.NewGeometry(g) }
