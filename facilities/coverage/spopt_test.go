package coverage

import (
	"context"
	"math"
	"slices"
	"testing"
)

// The PySAL spopt MCLP reference (DOMAIN.md §4): the doctest of spopt.locate.MCLP.from_cost_matrix (spopt 0.6,
// spopt/locate/coverage.py), replayed step by step in Go:
//
//	lattice = spaghetti.regular_lattice((0, 0, 10, 10), 9, exterior=True)   # streets on x, y = 0…10, unit arcs
//	streets_buffered = streets.buffer(0.2).unary_union
//	demand_points = simulated_geo_points(streets_buffered, needed=100, seed=5)  # numpy.random.seed + uniform in the bounds
//	facility_points = simulated_geo_points(streets_buffered, needed=5, seed=6)  # until 'intersects' holds
//	ntw.snapobservations(…)                                 # each point to its nearest arc
//	cost_matrix = ntw.allneighbordistances(clients, facilities)  # along the streets; same arc: straight
//	ai = numpy.random.randint(1, 12, 100)                   # weights 1–11, drawn after the facilities
//	MCLP.from_cost_matrix(cost_matrix, ai, service_radius=7, p_facilities=4).solve(pulp.PULP_CBC_CMD())
//	→ facility 0 serving 44 clients, 1: 54, 2: 75, 3: 77, 4: 0; n_cli_uncov 1; perc_cov 99.0
//
// (DOMAIN.md says "weight 1"; the doctest draws weights 1–11: the reference's figures are client counts either way.)
// numpy's legacy RandomState is MT19937 seeded by init_genrand, uniform = low + (high−low)·genrand_res53, and randint
// takes the low 4 bits of a 32-bit draw until they are ≤ 10 (numpy's masked rejection). The buffer's round caps are
// circles here (GEOS draws them as 64-gons, at most 0.2·(1 − cos(π/32)) ≈ 0.001 inside): a draw that close to a cap
// would be ambiguous, and the replay fails rather than guess.

type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT(seed uint32) *mt19937 {
	m := &mt19937{idx: 624}
	m.mt[0] = seed
	for i := 1; i < 624; i++ {
		m.mt[i] = 1812433253*(m.mt[i-1]^(m.mt[i-1]>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) uint32() uint32 {
	if m.idx >= 624 {
		for i := 0; i < 624; i++ {
			y := m.mt[i]&0x80000000 | m.mt[(i+1)%624]&0x7fffffff
			v := m.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.mt[i] = v
		}
		m.idx = 0
	}
	y := m.mt[m.idx]
	m.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	return y ^ y>>18
}

func (m *mt19937) float64() float64 {
	a, b := m.uint32()>>5, m.uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// randint is numpy's legacy randint(low, high) for a range that fits 32 bits (masked rejection).
func (m *mt19937) randint(low, high int) int {
	rng := uint32(high - 1 - low)
	mask := rng
	for k := 1; k < 32; k *= 2 {
		mask |= mask >> k
	}
	for {
		if v := m.uint32() & mask; v <= rng {
			return low + int(v)
		}
	}
}

// inBuffer reports whether (x, y) is within 0.2 of the lattice streets; ambiguous is set within 0.002 of a corner cap.
func inBuffer(x, y float64) (in, ambiguous bool) {
	const r = 0.2
	cx, cy := math.Max(0, math.Min(10, x)), math.Max(0, math.Min(10, y)) // nearest point of the square
	if cx != x && cy != y {                                              // outside two sides: the corner's round cap
		d := math.Hypot(x-cx, y-cy)
		return d <= r, math.Abs(d-r) < 0.002
	}
	switch {
	case cx != x: // beside the square: the street along that side is the nearest
		return math.Abs(x-cx) <= r, false
	case cy != y:
		return math.Abs(y-cy) <= r, false
	}
	return math.Min(math.Abs(x-math.Round(x)), math.Abs(y-math.Round(y))) <= r, false
}

// snapped is a point on the street lattice: its arc (two integer nodes) and position.
type snapped struct {
	a, b [2]float64
	x, y float64
}

// snap puts (x, y) on its nearest unit arc, as spaghetti's snap_points_to_links (perpendicular foot, clamped).
func snap(x, y float64) snapped {
	best := math.Inf(1)
	var out snapped
	try := func(a, b [2]float64) {
		// a and b differ in one coordinate by 1
		px := math.Max(math.Min(x, math.Max(a[0], b[0])), math.Min(a[0], b[0]))
		py := math.Max(math.Min(y, math.Max(a[1], b[1])), math.Min(a[1], b[1]))
		if d := math.Hypot(x-px, y-py); d < best {
			best, out = d, snapped{a, b, px, py}
		}
	}
	fx, fy := math.Floor(x), math.Floor(y)
	for i := fx - 1; i <= fx+2; i++ {
		for j := fy - 1; j <= fy+2; j++ {
			if i < 0 || i > 10 || j < 0 || j > 10 {
				continue
			}
			if i < 10 {
				try([2]float64{i, j}, [2]float64{i + 1, j})
			}
			if j < 10 {
				try([2]float64{i, j}, [2]float64{i, j + 1})
			}
		}
	}
	return out
}

// networkDistance is spaghetti's allneighbordistances between two snapped points: along the arc when they share it,
// else the shortest way through an end of each arc (node to node on the lattice: the Manhattan distance).
func networkDistance(p, q snapped) float64 {
	if p.a == q.a && p.b == q.b {
		return math.Hypot(p.x-q.x, p.y-q.y)
	}
	best := math.Inf(1)
	for _, u := range [][2]float64{p.a, p.b} {
		for _, v := range [][2]float64{q.a, q.b} {
			d := math.Hypot(p.x-u[0], p.y-u[1]) + math.Abs(u[0]-v[0]) + math.Abs(u[1]-v[1]) + math.Hypot(q.x-v[0], q.y-v[1])
			best = math.Min(best, d)
		}
	}
	return best
}

func simulatedPoints(t *testing.T, m *mt19937, n int) []snapped {
	var out []snapped
	lo, hi := -0.2, 10.2 // the buffered streets' total_bounds
	for len(out) < n {
		x := lo + (hi-lo)*m.float64()
		y := lo + (hi-lo)*m.float64()
		in, amb := inBuffer(x, y)
		if amb {
			t.Fatalf("draw (%v, %v) is within 0.002 of a round cap: the replay cannot tell GEOS's polygon", x, y)
		}
		if in {
			out = append(out, snap(x, y))
		}
	}
	return out
}

func TestMT19937(t *testing.T) {
	// init_genrand(5489)'s first outputs (the reference mt19937ar.c) and numpy.random.seed(0); random_sample().
	m := newMT(5489)
	if v := m.uint32(); v != 3499211612 {
		t.Fatalf("first output %d", v)
	}
	if v := newMT(0).float64(); v != 0.5488135039273248 {
		t.Fatalf("numpy.random.seed(0); random_sample() = %v", v)
	}
}

func TestMCLPReferenceSpopt(t *testing.T) {
	needCBC(t)
	clients := simulatedPoints(t, newMT(5), 100)
	m6 := newMT(6)
	facs := simulatedPoints(t, m6, 5)
	pr := CoverProblem{Weights: make([]float64, len(clients)), Cover: make([][]int, len(facs))}
	for i := range clients {
		pr.Weights[i] = float64(m6.randint(1, 12))
		for j, f := range facs {
			if networkDistance(clients[i], f) <= 7 {
				pr.Cover[j] = append(pr.Cover[j], i)
			}
		}
	}
	ex, err := ExactMCLP(context.Background(), pr, 4)
	if err != nil {
		t.Fatal(err)
	}
	// spopt's fac2cli: the clients each chosen facility covers (an unchosen one serves none).
	serving := make([]int, len(facs))
	for _, j := range ex.Chosen {
		serving[j] = len(pr.Cover[j])
	}
	if !slices.Equal(serving, []int{44, 54, 75, 77, 0}) || ex.Points != 99 || Pct(ex.Points, 100) != 99.0 {
		t.Fatalf("exact: serving %v, covered %d clients (spopt: 44 54 75 77 0, 99 covered, 1 uncovered): %+v", serving, ex.Points, ex)
	}
	g := GreedyMCLP(pr, 4)
	if g.Covered > ex.Covered || g.Covered < (1-1/math.E)*ex.Covered {
		t.Fatalf("greedy %v, exact %v", g.Covered, ex.Covered)
	}
	if bf := bruteMCLP(pr, 4); bf != ex.Covered {
		t.Fatalf("exact %v, brute force %v", ex.Covered, bf)
	}
	// The client left out is uncovered but coverable (facility 4 reaches it, or it is not reached at all).
	ls, err := ExactLSCP(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	reach := 100 - len(pr.Uncoverable())
	if bf := bruteLSCP(pr); len(ls.Chosen) != bf || ls.Points != reach {
		t.Fatalf("LSCP exact %+v, brute force %d sites, %d coverable", ls, bf, reach)
	}
}
