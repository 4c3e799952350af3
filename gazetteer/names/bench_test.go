package names

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"civmap/gazetteer"
)

// generatedPlaces makes n place names for the county: a 专名 of two or three characters drawn from the sample's
// village names, and a generic of the list (路 街 巷 村 桥 公园 小区 …), each in a random village of the sample.
func generatedPlaces(t testing.TB, n int) []gazetteer.Place {
	divs := sampleDivisions(t)
	var chars []rune
	var villages []gazetteer.Division
	for _, d := range divs {
		if d.Level == gazetteer.LevelVillage {
			villages = append(villages, d)
			for _, c := range []rune(d.Name) {
				if isHan(c) {
					chars = append(chars, c)
				}
			}
		}
	}
	generics := []string{"路", "街", "巷", "弄", "村", "桥", "公园", "小区", "山", "湾", "岙", "亭", "大道", "广场", "礁"}
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]gazetteer.Place, n)
	for i := range out {
		k := 2 + rng.IntN(2)
		sp := make([]rune, k)
		for j := range sp {
			sp[j] = chars[rng.IntN(len(chars))]
		}
		v := villages[rng.IntN(len(villages))]
		out[i] = gazetteer.Place{ID: fmt.Sprintf("g%06d", i), Name: string(sp) + generics[rng.IntN(len(generics))],
			Category: "generated", Status: gazetteer.StatusCurrent, DivisionCodes: []string{v.Code}}
	}
	return out
}

// BenchmarkScreenCounty screens the whole county: the sample's 427 divisions and 20,000 generated place names, with
// the records read from memory (Service.Screen without recording). Target: under 2 s.
func BenchmarkScreenCounty(b *testing.B) {
	for _, n := range []int{0, 20000} {
		b.Run(fmt.Sprintf("places=%d", n), func(b *testing.B) {
			s := NewService(nil, &fakeRecords{divs: sampleDivisions(b), places: generatedPlaces(b, n)})
			ctx := context.Background()
			var findings int
			cpu0 := cpuSeconds()
			for b.Loop() {
				rep, err := s.Screen(ctx, "330225", false)
				if err != nil {
					b.Fatal(err)
				}
				findings = len(rep.Findings)
			}
			// CPU time per screening: on the shared 2-core machine wall time (ns/op) includes waiting for a core.
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(427+n), "names")
			b.ReportMetric(float64(findings), "findings")
		})
	}
}

// BenchmarkRomanize spells one street name with its steps.
func BenchmarkRomanize(b *testing.B) {
	r, _ := Default()
	for b.Loop() {
		r.Romanize("丹河东路")
	}
}

// cpuSeconds is the process's user + system CPU time so far, in seconds.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkCheck is POST /api/names/check's work with the index cached: one proposed village name against the
// sample's divisions and 20,000 generated places.
func BenchmarkCheck(b *testing.B) {
	s := NewService(nil, &fakeRecords{divs: sampleDivisions(b), places: generatedPlaces(b, 20000)})
	ctx := context.Background()
	req := CheckRequest{Name: "东峰社区", Category: "village", DivisionCode: "330225101"}
	if _, err := s.Check(ctx, req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Check(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
