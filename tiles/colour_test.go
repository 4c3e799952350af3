package tiles

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// lab converts an sRGB hex colour (#rrggbb) to CIELAB (D65 white, 2° observer): IEC 61966-2-1 linearisation, the
// sRGB→XYZ matrix, then CIE 15 L*a*b*.
func lab(t *testing.T, hex string) [3]float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var c [3]float64
	for i := range 3 {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	x := 0.4124564*c[0] + 0.3575761*c[1] + 0.1804375*c[2]
	y := 0.2126729*c[0] + 0.7151522*c[1] + 0.0721750*c[2]
	z := 0.0193339*c[0] + 0.1191920*c[1] + 0.9503041*c[2]
	f := func(v float64) float64 {
		if v > 216.0/24389 {
			return math.Cbrt(v)
		}
		return (24389.0/27*v + 16) / 116
	}
	fx, fy, fz := f(x/0.95047), f(y/1.0), f(z/1.08883)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// deltaE2000 is the CIEDE2000 colour difference (CIE 142-2001), as written out by Sharma, Wu & Dalal, "The CIEDE2000
// color-difference formula: implementation notes" (2005), with kL = kC = kH = 1.
func deltaE2000(p, q [3]float64) float64 {
	rad, deg := math.Pi/180, 180/math.Pi
	L1, a1, b1 := p[0], p[1], p[2]
	L2, a2, b2 := q[0], q[1], q[2]
	C1, C2 := math.Hypot(a1, b1), math.Hypot(a2, b2)
	Cm := (C1 + C2) / 2
	G := 0.5 * (1 - math.Sqrt(math.Pow(Cm, 7)/(math.Pow(Cm, 7)+math.Pow(25, 7))))
	a1p, a2p := (1+G)*a1, (1+G)*a2
	C1p, C2p := math.Hypot(a1p, b1), math.Hypot(a2p, b2)
	hue := func(b, a float64) float64 {
		if b == 0 && a == 0 {
			return 0
		}
		h := math.Atan2(b, a) * deg
		if h < 0 {
			h += 360
		}
		return h
	}
	h1p, h2p := hue(b1, a1p), hue(b2, a2p)
	dLp, dCp := L2-L1, C2p-C1p
	var dhp float64
	switch {
	case C1p*C2p == 0:
		dhp = 0
	case math.Abs(h2p-h1p) <= 180:
		dhp = h2p - h1p
	case h2p-h1p > 180:
		dhp = h2p - h1p - 360
	default:
		dhp = h2p - h1p + 360
	}
	dHp := 2 * math.Sqrt(C1p*C2p) * math.Sin(dhp/2*rad)
	Lpm, Cpm := (L1+L2)/2, (C1p+C2p)/2
	var hpm float64
	switch {
	case C1p*C2p == 0:
		hpm = h1p + h2p
	case math.Abs(h1p-h2p) <= 180:
		hpm = (h1p + h2p) / 2
	case h1p+h2p < 360:
		hpm = (h1p + h2p + 360) / 2
	default:
		hpm = (h1p + h2p - 360) / 2
	}
	T := 1 - 0.17*math.Cos((hpm-30)*rad) + 0.24*math.Cos(2*hpm*rad) + 0.32*math.Cos((3*hpm+6)*rad) -
		0.20*math.Cos((4*hpm-63)*rad)
	dTheta := 30 * math.Exp(-math.Pow((hpm-275)/25, 2))
	RC := 2 * math.Sqrt(math.Pow(Cpm, 7)/(math.Pow(Cpm, 7)+math.Pow(25, 7)))
	SL := 1 + 0.015*math.Pow(Lpm-50, 2)/math.Sqrt(20+math.Pow(Lpm-50, 2))
	SC := 1 + 0.045*Cpm
	SH := 1 + 0.015*Cpm*T
	RT := -math.Sin(2*dTheta*rad) * RC
	return math.Sqrt(math.Pow(dLp/SL, 2) + math.Pow(dCp/SC, 2) + math.Pow(dHp/SH, 2) + RT*(dCp/SC)*(dHp/SH))
}

// TestDeltaE2000 checks the formula against pairs of Sharma, Wu & Dalal's table 1 (their test data, to 4 decimals).
func TestDeltaE2000(t *testing.T) {
	for _, c := range []struct {
		p, q [3]float64
		want float64
	}{
		{[3]float64{50, 2.6772, -79.7751}, [3]float64{50, 0, -82.7485}, 2.0425},
		{[3]float64{50, -1.3802, -84.2814}, [3]float64{50, 0, -82.7485}, 1.0000},
		{[3]float64{50, 2.5, 0}, [3]float64{73, 25, -18}, 27.1492},
		{[3]float64{50, 2.5, 0}, [3]float64{50, 3.1736, 0.5854}, 1.0000},
		{[3]float64{60.2574, -34.0099, 36.2677}, [3]float64{60.4626, -34.1751, 39.4387}, 1.2644},
		{[3]float64{2.0776, 0.0795, -1.1350}, [3]float64{0.9033, -0.0636, -0.5514}, 0.9082},
	} {
		if got := deltaE2000(c.p, c.q); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("ΔE00(%v, %v) = %.4f, want %.4f", c.p, c.q, got, c.want)
		}
	}
	// sRGB white is L* 100, a* b* 0.
	if w := lab(t, "#ffffff"); math.Abs(w[0]-100) > 0.01 || math.Abs(w[1]) > 0.01 || math.Abs(w[2]) > 0.01 {
		t.Errorf("white = %v", w)
	}
}

// TestStyleColourDistances reads the style as served (JSON) and checks the rule: the elderly-population
// circles' colour is at least ΔE00 20 from every facility colour, the sea (background) and the land; the three
// facility families are as far from each other, from the sea and from the land. The sprite's SVG icons are drawn in
// their family's colour.
func TestStyleColourDistances(t *testing.T) {
	raw, err := json.Marshal(Style("http://example.com", orb.Point{121.87, 29.47}, DefaultBounds,
		Basemap{LandURL: "/basemap/land.geojson", SpriteURL: "/sprite/facilities"}))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Layers []struct {
			ID    string         `json:"id"`
			Paint map[string]any `json:"paint"`
		} `json:"layers"`
		Metadata struct {
			Types []struct{ Type, Color, Icon, Family string } `json:"civmap:facility-types"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	paint := map[string]map[string]any{}
	for _, l := range st.Layers {
		paint[l.ID] = l.Paint
	}
	sea, _ := paint["background"]["background-color"].(string)
	land, _ := paint["land"]["fill-color"].(string)
	demand, _ := paint["demand-circles"]["circle-color"].(string)
	if sea == "" || land == "" || demand == "" {
		t.Fatalf("sea %q, land %q, demand %q", sea, land, demand)
	}
	facColours := map[string]bool{}
	for _, ty := range st.Metadata.Types {
		facColours[ty.Color] = true
	}
	if len(st.Metadata.Types) != 11 || len(facColours) != 3 {
		t.Fatalf("%d types in %d colours, want 11 in 3 families", len(st.Metadata.Types), len(facColours))
	}
	check := func(a, b, what string) {
		d := deltaE2000(lab(t, a), lab(t, b))
		t.Logf("ΔE00 %s %s–%s = %.1f", what, a, b, d)
		if d < 20 {
			t.Errorf("ΔE00(%s %s, %s) = %.1f < 20", what, a, b, d)
		}
	}
	for c := range facColours {
		check(demand, c, "demand–facility")
		check(c, sea, "facility–sea")
		check(c, land, "facility–land")
		for o := range facColours {
			if c < o {
				check(c, o, "facility–facility")
			}
		}
	}
	check(demand, sea, "demand–sea")
	check(demand, land, "demand–land")

	// The icons: fac-<type>.svg exists for each type and is filled with its type's colour.
	fill := regexp.MustCompile(`<g fill="(#[0-9a-f]{6})"`)
	for _, ty := range st.Metadata.Types {
		b, err := os.ReadFile(filepath.Join("..", "web", "src", "map", "icons", ty.Icon+".svg"))
		if err != nil {
			t.Errorf("%s: %v", ty.Type, err)
			continue
		}
		if m := fill.FindSubmatch(b); m == nil || string(m[1]) != ty.Color {
			t.Errorf("%s.svg: fill %s, want %s", ty.Icon, m, ty.Color)
		}
	}
}
