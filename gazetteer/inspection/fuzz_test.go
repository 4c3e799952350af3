package inspection

import (
	"testing"
)

// FuzzImport feeds arbitrary bytes to the sheet import: it must answer a result or an error, never panic, and every
// rejected row must carry a reason code and a line ≥ 2.
func FuzzImport(f *testing.F) {
	f.Add([]byte("marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note\n象宁002,2023-04-10,完好,3265312.875,366316.956,EPSG:4550,a,b\n"), "text/csv")
	f.Add([]byte("marker_no,inspected_on,condition,x_north_m,y_east_m,crs,team,note\n象宁004,2023-04-11,丢失,,,EPSG:4550,,\n\"x\ny\",1,2\n"), "")
	f.Add([]byte("PK\x03\x04garbage"), XLSXContentType)
	f.Add([]byte("\xcf\xf3\xc4\xfe"), "text/csv")
	st := newFakeStore(f)
	svc := &Service{Store: st}
	r, err := svc.CreateRound(inspector(), "象宁线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		res, err := svc.Import(inspector(), r.ID, b, ct)
		if err != nil {
			return
		}
		for _, rj := range res.Rejected {
			if rj.Reason == "" || rj.Line < 2 {
				t.Fatalf("rejected row without reason or line: %+v", rj)
			}
		}
	})
}
