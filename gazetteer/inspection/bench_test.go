package inspection

import "testing"

// BenchmarkReport: the planted round's full report on the sample (16 markers, the 70 km 象宁线, both counties'
// polygons: the gap/overlap overlay is most of it).
func BenchmarkReport(b *testing.B) {
	st := newFakeStore(b)
	putNeighbourB(b, st)
	svc := &Service{Store: st}
	r, err := svc.CreateRound(inspector(), "象宁线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := svc.Report(inspector(), r.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFieldFinding: one field save (validation, write, the marker's row without the polygon check).
func BenchmarkFieldFinding(b *testing.B) {
	st := newFakeStore(b)
	svc := &Service{Store: st}
	r, err := svc.CreateRound(inspector(), "象宁线", RoundInput{Year: 2023, StartedOn: "2023-04-10", EndedOn: "2023-04-20"})
	if err != nil {
		b.Fatal(err)
	}
	in := FindingInput{MarkerNo: "象宁002", InspectedOn: "2023-04-12", Condition: "intact",
		Observed: &Position{CRS: "EPSG:4550", North: 3265313.175, East: 366317.356}}
	for b.Loop() {
		if _, err := svc.RecordFinding(inspector(), r.ID, in); err != nil {
			b.Fatal(err)
		}
	}
}
