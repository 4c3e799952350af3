package coverage

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// GapHeaders are the Chinese column headers of the gap table (CSV, XLSX and the terminal).
var GapHeaders = []string{"指标", "指标名称", "类型", "范围", "区划代码", "区划名称", "规划期", "目标", "现状", "差距", "是否达标", "单位", "来源"}

var kindNames = map[string]string{KindCoverage: "覆盖率", KindRatio: "千人指标", KindPresence: "乡镇覆盖", KindCount: "数量"}
var scopeNames = map[string]string{ScopeCounty: "全县", ScopeTownship: "各乡镇"}

// GapCells is a row as text cells under GapHeaders: no target shows "—"; met is 达标 / 未达标.
func GapCells(r Row) []string {
	target, gap, met := "—", "—", "—"
	if r.Target != nil {
		target, gap = num(*r.Target), num(*r.Gap)
		met = "未达标"
		if *r.Met {
			met = "达标"
		}
	}
	return []string{r.Indicator, r.Name, kindNames[r.Kind], scopeNames[r.Scope], r.Code, r.ScopeName, r.Phase, target,
		num(r.Actual), gap, met, r.Unit, r.Source}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WriteGapsCSV writes the gap table as UTF-8 CSV (with a byte-order mark, so that Excel reads the Chinese headers).
func WriteGapsCSV(w io.Writer, rows []Row) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(GapHeaders)
	for _, r := range rows {
		_ = cw.Write(GapCells(r))
	}
	cw.Flush()
	return cw.Error()
}

// WriteGapsXLSX writes an Excel workbook (excelize) with one sheet per phase, named "<phase>年", Chinese headers;
// targets, actuals and gaps are numbers.
func WriteGapsXLSX(w io.Writer, results []Result) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, res := range results {
		sheet := res.Phase + "年"
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, "A1", &GapHeaders); err != nil {
			return err
		}
		for j, r := range res.Rows {
			cells := GapCells(r)
			row := make([]any, len(cells))
			for k, c := range cells {
				row[k] = c
			}
			row[8] = r.Actual
			if r.Target != nil {
				row[7], row[9] = *r.Target, *r.Gap
			}
			if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", j+2), &row); err != nil {
				return err
			}
		}
		_ = f.SetColWidth(sheet, "B", "B", 36)
		_ = f.SetColWidth(sheet, "M", "M", 60)
	}
	return f.Write(w)
}
