package coverage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// CoverProblem is a covering location problem: demand i of weight Weights[i] is covered when a chosen candidate j
// has i in Cover[j].
type CoverProblem struct {
	Weights []float64
	Cover   [][]int
}

// Uncoverable lists the demand no candidate reaches: reported, never an error.
func (pr CoverProblem) Uncoverable() []int {
	reach := make([]bool, len(pr.Weights))
	for _, c := range pr.Cover {
		for _, i := range c {
			reach[i] = true
		}
	}
	var out []int
	for i, r := range reach {
		if !r {
			out = append(out, i)
		}
	}
	return out
}

// Solution is a chosen set of candidates (in the order chosen, for greedy; ascending for exact), the weight each one
// adds when chosen in that order, the covered weight and the number of covered demand points.
type Solution struct {
	Chosen  []int     `json:"chosen"`
	Gains   []float64 `json:"gains"`
	Covered float64   `json:"covered_weight"`
	Points  int       `json:"covered_points"`
	Optimal bool      `json:"optimal"` // proven optimal (exact solver)
	Solver  string    `json:"solver"`
}

// GreedyMCLP picks p candidates one by one, each time the one adding the most uncovered weight (ties: the lowest
// index), stopping early when nothing more can be gained. Coverage is a monotone submodular function of the chosen
// set, so the greedy set covers at least (1 − 1/e) ≈ 63.2 % of the optimal weight (Nemhauser, Wolsey & Fisher 1978);
// it is evaluated lazily (Minoux 1978: a candidate's gain can only fall as others are chosen).
func GreedyMCLP(pr CoverProblem, p int) Solution {
	sol := Solution{Solver: "greedy"}
	covered := make([]bool, len(pr.Weights))
	gain := func(j int) float64 {
		var g float64
		for _, i := range pr.Cover[j] {
			if !covered[i] {
				g += pr.Weights[i]
			}
		}
		return g
	}
	// upper bounds of each candidate's gain, kept in a max-heap by (bound, -index).
	h := &lazyHeap{}
	for j := range pr.Cover {
		h.push(lazyItem{j, gain(j), 0})
	}
	for round := 1; len(sol.Chosen) < p && h.len() > 0; round++ {
		for {
			top := h.pop()
			if top.round == round {
				if top.gain <= 0 {
					return sol
				}
				sol.Chosen = append(sol.Chosen, top.j)
				sol.Gains = append(sol.Gains, top.gain)
				sol.Covered += top.gain
				for _, i := range pr.Cover[top.j] {
					if !covered[i] {
						covered[i] = true
						sol.Points++
					}
				}
				break
			}
			top.gain, top.round = gain(top.j), round
			h.push(top)
		}
	}
	return sol
}

// GreedyLSCP picks candidates until every coverable demand point is covered, each time the one covering the most
// uncovered points (ties: the lowest index). The greedy set cover is within H(m) ≤ ln m + 1 of the fewest sites,
// m the most points one candidate covers (Chvátal 1979).
func GreedyLSCP(pr CoverProblem) Solution {
	unit := CoverProblem{Weights: make([]float64, len(pr.Weights)), Cover: pr.Cover}
	for i := range unit.Weights {
		unit.Weights[i] = 1
	}
	s := GreedyMCLP(unit, len(pr.Cover))
	s.Covered = 0
	covered := make([]bool, len(pr.Weights))
	for _, j := range s.Chosen {
		for _, i := range pr.Cover[j] {
			if !covered[i] {
				covered[i] = true
				s.Covered += pr.Weights[i]
			}
		}
	}
	s.Gains = weightGains(pr, s.Chosen) // in weight, in the order chosen
	return s
}

func weightGains(pr CoverProblem, chosen []int) []float64 {
	covered := make([]bool, len(pr.Weights))
	out := make([]float64, len(chosen))
	for k, j := range chosen {
		for _, i := range pr.Cover[j] {
			if !covered[i] {
				covered[i] = true
				out[k] += pr.Weights[i]
			}
		}
	}
	return out
}

type lazyItem struct {
	j     int
	gain  float64
	round int
}

type lazyHeap struct{ a []lazyItem }

func (h *lazyHeap) len() int { return len(h.a) }
func (h *lazyHeap) less(x, y lazyItem) bool {
	return x.gain > y.gain || x.gain == y.gain && x.j < y.j
}
func (h *lazyHeap) push(it lazyItem) {
	h.a = append(h.a, it)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(h.a[i], h.a[p]) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}
func (h *lazyHeap) pop() lazyItem {
	top := h.a[0]
	n := len(h.a) - 1
	h.a[0] = h.a[n]
	h.a = h.a[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(h.a[l], h.a[m]) {
			m = l
		}
		if r < n && h.less(h.a[r], h.a[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// ErrNoCBC is returned by the exact solvers when the cbc binary is not installed.
var ErrNoCBC = errors.New("the exact solver needs the cbc binary of COIN-OR CBC: install the Debian package coinor-cbc " +
	"(apt-get install coinor-cbc; make test installs it), or use the greedy solver")

// CBCPath is the cbc binary the exact solvers run (looked up in PATH).
var CBCPath = "cbc"

// ExactMCLP solves the MCLP (Church & ReVelle 1974) with CBC:
//
//	max Σ_i w_i y_i  s.t.  y_i ≤ Σ_{j covers i} x_j,  Σ_j x_j = min(p, #candidates),  x_j ∈ {0,1},  0 ≤ y_i ≤ 1.
//
// civmap writes the model as an LP file, runs `cbc model.lp solve solu out.txt` and reads the solution.
func ExactMCLP(ctx context.Context, pr CoverProblem, p int) (Solution, error) {
	var b bytes.Buffer
	b.WriteString("Maximize\n obj:")
	n := 0
	covers := make([][]int, len(pr.Weights))
	for j, c := range pr.Cover {
		for _, i := range c {
			covers[i] = append(covers[i], j)
		}
	}
	for i, w := range pr.Weights {
		if len(covers[i]) == 0 || w == 0 {
			continue
		}
		fmt.Fprintf(&b, " + %s y%d", strconv.FormatFloat(w, 'g', -1, 64), i)
		n++
		if n%8 == 0 {
			b.WriteString("\n")
		}
	}
	if n == 0 {
		b.WriteString(" 0 x0")
	}
	b.WriteString("\nSubject To\n")
	for i, js := range covers {
		if len(js) == 0 || pr.Weights[i] == 0 {
			continue
		}
		fmt.Fprintf(&b, " c%d: y%d", i, i)
		for _, j := range js {
			fmt.Fprintf(&b, " - x%d", j)
		}
		b.WriteString(" <= 0\n")
	}
	b.WriteString(" p:")
	for j := range pr.Cover {
		fmt.Fprintf(&b, " + x%d", j)
	}
	fmt.Fprintf(&b, " = %d\nBounds\n", min(p, len(pr.Cover)))
	for i, js := range covers {
		if len(js) > 0 && pr.Weights[i] != 0 {
			fmt.Fprintf(&b, " 0 <= y%d <= 1\n", i)
		}
	}
	writeBinaries(&b, len(pr.Cover))
	vals, err := runCBC(ctx, b.Bytes())
	if err != nil {
		return Solution{}, err
	}
	return solutionOf(pr, vals), nil
}

// ExactLSCP solves the LSCP (Toregas et al. 1971) with CBC: min Σ_j x_j s.t. Σ_{j covers i} x_j ≥ 1 for every
// coverable i, x_j ∈ {0,1}.
func ExactLSCP(ctx context.Context, pr CoverProblem) (Solution, error) {
	var b bytes.Buffer
	b.WriteString("Minimize\n obj:")
	for j := range pr.Cover {
		fmt.Fprintf(&b, " + x%d", j)
	}
	b.WriteString("\nSubject To\n")
	covers := make([][]int, len(pr.Weights))
	for j, c := range pr.Cover {
		for _, i := range c {
			covers[i] = append(covers[i], j)
		}
	}
	rows := 0
	for i, js := range covers {
		if len(js) == 0 {
			continue
		}
		fmt.Fprintf(&b, " c%d:", i)
		for _, j := range js {
			fmt.Fprintf(&b, " + x%d", j)
		}
		b.WriteString(" >= 1\n")
		rows++
	}
	if rows == 0 && len(pr.Cover) > 0 {
		b.WriteString(" c: x0 >= 0\n")
	}
	if len(pr.Cover) == 0 {
		return Solution{Solver: "cbc", Optimal: true}, nil
	}
	writeBinaries(&b, len(pr.Cover))
	vals, err := runCBC(ctx, b.Bytes())
	if err != nil {
		return Solution{}, err
	}
	return solutionOf(pr, vals), nil
}

func writeBinaries(b *bytes.Buffer, n int) {
	b.WriteString("Binaries\n")
	for j := 0; j < n; j++ {
		fmt.Fprintf(b, " x%d", j)
		if j%16 == 15 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\nEnd\n")
}

func solutionOf(pr CoverProblem, x map[string]float64) Solution {
	sol := Solution{Solver: "cbc", Optimal: true}
	for j := range pr.Cover {
		if x["x"+strconv.Itoa(j)] > 0.5 {
			sol.Chosen = append(sol.Chosen, j)
		}
	}
	sol.Gains = weightGains(pr, sol.Chosen)
	covered := make([]bool, len(pr.Weights))
	for _, j := range sol.Chosen {
		for _, i := range pr.Cover[j] {
			if !covered[i] {
				covered[i] = true
				sol.Points++
				sol.Covered += pr.Weights[i]
			}
		}
	}
	return sol
}

// runCBC solves an LP-format model and returns the values of its variables. A model CBC does not report optimal is
// an error quoting its status line.
func runCBC(ctx context.Context, model []byte) (map[string]float64, error) {
	bin, err := exec.LookPath(CBCPath)
	if err != nil {
		return nil, ErrNoCBC
	}
	dir, err := os.MkdirTemp("", "civmap-cbc-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	lp, out := filepath.Join(dir, "model.lp"), filepath.Join(dir, "solution.txt")
	if err := os.WriteFile(lp, model, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, lp, "solve", "solu", out)
	cmd.Dir = dir
	if log, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cbc failed: %v: %s", err, lastLines(log, 5))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("cbc wrote no solution: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	vals := map[string]float64{}
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if !strings.HasPrefix(line, "Optimal") {
				return nil, fmt.Errorf("cbc: %s", line)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] != "**" {
			if v, err := strconv.ParseFloat(f[2], 64); err == nil {
				vals[f[1]] = v
			}
		}
	}
	return vals, sc.Err()
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
