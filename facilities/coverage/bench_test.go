package coverage_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"civmap/facilities/coverage"
	"civmap/facilities/coverage/covtest"
)

// BenchmarkCoverage: 100,000 demand units × 10,000 facilities × 5 indicators (covtest), per-unit nearest facility and
// the county and township shares; one op is all five indicators. Its PostGIS counterpart is
// data/postgis BenchmarkCoverageSQL (make bench-coverage runs both).
func BenchmarkCoverage(b *testing.B) {
	d := covtest.Data(100_000, 10_000, 1)
	covered := 0
	defer cpuPerOp(b)()
	for b.Loop() {
		covered = 0
		for _, q := range covtest.Indicators {
			covered += d.Coverage(q).Scopes[0].CoveredElderly
		}
	}
	b.ReportMetric(float64(covered), "covered-elderly")
}

// BenchmarkMCLPGreedy: p = 30 of 5,000 candidates over 100,000 demand units (the meal indicator, with the 10,000
// facilities' coverage taken first): cover sets by R-tree plus lazy greedy.
func BenchmarkMCLPGreedy(b *testing.B) {
	d := covtest.Data(100_000, 10_000, 1)
	cands := covtest.Candidates(5000, 2)
	in := coverage.Indicator{ID: "meal", Kind: coverage.KindCoverage, Types: covtest.Indicators[1].Types, DistanceM: 1000,
		DistanceCommunityM: 500}
	var res coverage.SitingResult
	defer cpuPerOp(b)()
	for b.Loop() {
		var err error
		res, err = d.Siting(context.Background(), in, []string{"existing"}, nil, cands, coverage.ObjectiveMCLP, coverage.SolverGreedy, 30)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.CoveredAfter-res.CoveredBefore), "added-elderly")
}

// BenchmarkMCLPExactCBC: the exact MCLP through CBC on 500 candidates over 20,000 demand units, p = 30, 2,000 m
// (overlapping service areas, so that greedy and exact can differ).
func BenchmarkMCLPExactCBC(b *testing.B) {
	d := covtest.Data(20_000, 1000, 3)
	cands := covtest.Candidates(500, 4)
	in := coverage.Indicator{ID: "hc", Kind: coverage.KindCoverage, Types: covtest.Indicators[0].Types, DistanceM: 2000}
	var ex, gr coverage.SitingResult
	for b.Loop() {
		var err error
		ex, err = d.Siting(context.Background(), in, []string{"existing"}, nil, cands, coverage.ObjectiveMCLP, coverage.SolverExact, 30)
		if err != nil {
			b.Fatal(err)
		}
	}
	gr, _ = d.Siting(context.Background(), in, []string{"existing"}, nil, cands, coverage.ObjectiveMCLP, coverage.SolverGreedy, 30)
	if gr.CoveredAfter > ex.CoveredAfter {
		b.Fatalf("greedy %d > exact %d", gr.CoveredAfter, ex.CoveredAfter)
	}
	b.ReportMetric(float64(ex.CoveredAfter-ex.CoveredBefore), "exact-added")
	b.ReportMetric(float64(gr.CoveredAfter-gr.CoveredBefore), "greedy-added")
}

// cpuPerOp reports the process's CPU time (user + system, all threads) per op beside ns/op: on a shared machine the
// wall time depends on the other load, the CPU time much less. Call as defer cpuPerOp(b)() after the setup.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
