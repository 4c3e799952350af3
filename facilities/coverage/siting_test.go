package coverage

import (
	"context"
	"math"
	"math/rand/v2"
	"os/exec"
	"slices"
	"testing"
)

// needCBC fails the test when cbc is missing: make test installs coinor-cbc (scripts/ensure-cbc.sh).
func needCBC(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(CBCPath); err != nil {
		t.Fatalf("%v", ErrNoCBC)
	}
}

func randomProblem(rng *rand.Rand, nd, nc int) CoverProblem {
	pr := CoverProblem{Weights: make([]float64, nd), Cover: make([][]int, nc)}
	xs, ys := make([]float64, nd), make([]float64, nd)
	for i := range pr.Weights {
		pr.Weights[i] = float64(1 + rng.IntN(50))
		xs[i], ys[i] = rng.Float64(), rng.Float64()
	}
	for j := range pr.Cover {
		cx, cy := rng.Float64(), rng.Float64()
		for i := range xs {
			if math.Hypot(xs[i]-cx, ys[i]-cy) <= 0.25 {
				pr.Cover[j] = append(pr.Cover[j], i)
			}
		}
	}
	return pr
}

func bruteMCLP(pr CoverProblem, p int) float64 {
	best := 0.0
	n := len(pr.Cover)
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != min(p, n) {
			continue
		}
		best = math.Max(best, weightOf(pr, mask))
	}
	return best
}

func bruteLSCP(pr CoverProblem) int {
	n := len(pr.Cover)
	all := weightOf(pr, 1<<n-1)
	best := n
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) < best && weightOf(pr, mask) == all {
			best = popcount(mask)
		}
	}
	return best
}

func weightOf(pr CoverProblem, mask int) float64 {
	cov := make([]bool, len(pr.Weights))
	w := 0.0
	for j := range pr.Cover {
		if mask&(1<<j) != 0 {
			for _, i := range pr.Cover[j] {
				if !cov[i] {
					cov[i] = true
					w += pr.Weights[i]
				}
			}
		}
	}
	return w
}

func popcount(m int) int {
	n := 0
	for ; m > 0; m &= m - 1 {
		n++
	}
	return n
}

// TestGreedyVsExact: on 20 random small cases greedy never covers more than CBC's optimum and at least (1 − 1/e) of
// it; on the smallest (≤ 10 candidates) the exact answers equal a brute force over every subset.
func TestGreedyVsExact(t *testing.T) {
	needCBC(t)
	rng := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	brute := 0
	for k := 0; k < 20; k++ {
		nd, nc := 20+rng.IntN(60), 6+rng.IntN(14)
		p := 1 + rng.IntN(4)
		pr := randomProblem(rng, nd, nc)
		g := GreedyMCLP(pr, p)
		ex, err := ExactMCLP(ctx, pr, p)
		if err != nil {
			t.Fatal(err)
		}
		if g.Covered > ex.Covered+1e-9 || g.Covered < (1-1/math.E)*ex.Covered-1e-9 {
			t.Errorf("case %d: greedy %v, exact %v", k, g.Covered, ex.Covered)
		}
		if weightOf(pr, maskOf(ex.Chosen)) != ex.Covered || len(ex.Chosen) > p {
			t.Errorf("case %d: exact's chosen set %v does not cover %v", k, ex.Chosen, ex.Covered)
		}
		gl := GreedyLSCP(pr)
		el, err := ExactLSCP(ctx, pr)
		if err != nil {
			t.Fatal(err)
		}
		all := weightOf(pr, 1<<nc-1)
		if len(gl.Chosen) < len(el.Chosen) || el.Covered != all || gl.Covered != all {
			t.Errorf("case %d: LSCP greedy %d sites (%v), exact %d (%v), all %v", k, len(gl.Chosen), gl.Covered,
				len(el.Chosen), el.Covered, all)
		}
		if nc <= 10 {
			brute++
			if bf := bruteMCLP(pr, p); bf != ex.Covered {
				t.Errorf("case %d: exact %v, brute force %v", k, ex.Covered, bf)
			}
			if bf := bruteLSCP(pr); bf != len(el.Chosen) {
				t.Errorf("case %d: LSCP exact %d, brute force %d", k, len(el.Chosen), bf)
			}
		}
	}
	if brute < 3 {
		t.Fatalf("only %d of the 20 cases are small enough for the brute force", brute)
	}
}

func maskOf(js []int) int {
	m := 0
	for _, j := range js {
		m |= 1 << j
	}
	return m
}

// TestGreedyHand: a case where greedy is not optimal: A covers {0,1,2} (weight 4), B {0,1} (3), C {2,3} (3); p = 2:
// greedy takes A (4) then C (+2) = 6; the optimum B+C = 6 as well, and with p = 1 greedy = A = 4.
func TestGreedyHand(t *testing.T) {
	pr := CoverProblem{Weights: []float64{1.5, 1.5, 1, 2}, Cover: [][]int{{0, 1, 2}, {0, 1}, {2, 3}}}
	g := GreedyMCLP(pr, 2)
	if !slices.Equal(g.Chosen, []int{0, 2}) || g.Covered != 6 || !slices.Equal(g.Gains, []float64{4, 2}) {
		t.Fatalf("%+v", g)
	}
	if g := GreedyMCLP(pr, 1); g.Covered != 4 {
		t.Fatalf("%+v", g)
	}
	un := CoverProblem{Weights: []float64{1, 1, 1}, Cover: [][]int{{0}, {0}}}
	if u := un.Uncoverable(); !slices.Equal(u, []int{1, 2}) {
		t.Fatalf("uncoverable %v", u)
	}
	if g := GreedyMCLP(un, 2); len(g.Chosen) != 1 || g.Covered != 1 {
		t.Fatalf("greedy stops when nothing more is gained: %+v", g)
	}
}
