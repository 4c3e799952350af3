package cql2

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// CheckError is a filter that parses but does not fit the collection: an unknown property, or operands of different
// types.
type CheckError struct{ Msg string }

func (e *CheckError) Error() string { return e.Msg }

// Queryables gives the type of each property a filter may name; ok false for an unknown one.
type Queryables func(name string) (t Type, ok bool)

// Check reports whether e only names queryables and compares operands of one type. Names lists the queryables for
// the message about an unknown one.
func Check(e Expr, q Queryables, names []string) error {
	var err error
	fail := func(format string, args ...any) {
		if err == nil {
			err = &CheckError{Msg: fmt.Sprintf(format, args...)}
		}
	}
	typeOf := func(s Scalar) Type {
		switch x := s.(type) {
		case Property:
			t, ok := q(x.Name)
			if !ok {
				fail("unknown property %q; the queryables are %s", x.Name, strings.Join(names, ", "))
				return ""
			}
			if t == TypeGeometry {
				fail("geometry property %q can only be used in S_INTERSECTS or S_WITHIN", x.Name)
			}
			return t
		case Literal:
			switch x.Value.(type) {
			case string:
				return TypeString
			case float64:
				return TypeNumber
			case bool:
				return TypeBoolean
			case Time:
				return TypeTime
			}
		}
		return ""
	}
	same := func(what string, ss ...Scalar) {
		var first Type
		for _, s := range ss {
			t := typeOf(s)
			if t == "" {
				return
			}
			if first == "" {
				first = t
			} else if t != first {
				fail("%s compares a %s with a %s", what, first, t)
				return
			}
		}
	}
	Walk(e, func(e Expr) {
		switch x := e.(type) {
		case Compare:
			same("'"+x.Op+"'", x.Left, x.Right)
		case Like:
			if t := typeOf(x.Value); t != "" && t != TypeString {
				fail("LIKE needs a string operand, not a %s", t)
			}
		case In:
			same("IN", append([]Scalar{x.Value}, x.List...)...)
		case Between:
			same("BETWEEN", x.Value, x.Low, x.High)
		case IsNull:
			if _, ok := x.Value.(Property); !ok {
				fail("IS NULL needs a property")
			} else {
				typeOf(x.Value)
			}
		case Spatial:
			for _, a := range []SpatialArg{x.Left, x.Right} {
				if p, ok := a.(Property); ok {
					if t, ok := q(p.Name); !ok || t != TypeGeometry {
						fail("%s needs a geometry property, %q is not one", strings.ToUpper(x.Op), p.Name)
					}
				}
			}
		}
	})
	return err
}

// MapGeometries returns e with every geometry literal replaced by f's result (e.g. moved from the filter-crs to the
// storage CRS).
func MapGeometries(e Expr, f func(orb.Geometry) (orb.Geometry, error)) (Expr, error) {
	var err error
	arg := func(a SpatialArg) SpatialArg {
		if g, ok := a.(Geometry); ok && err == nil {
			var out orb.Geometry
			out, err = f(g.G)
			return Geometry{G: out}
		}
		return a
	}
	var rec func(Expr) Expr
	rec = func(e Expr) Expr {
		switch x := e.(type) {
		case And:
			args := make([]Expr, len(x.Args))
			for i, a := range x.Args {
				args[i] = rec(a)
			}
			return And{Args: args}
		case Or:
			args := make([]Expr, len(x.Args))
			for i, a := range x.Args {
				args[i] = rec(a)
			}
			return Or{Args: args}
		case Not:
			return Not{Arg: rec(x.Arg)}
		case Spatial:
			return Spatial{Op: x.Op, Left: arg(x.Left), Right: arg(x.Right)}
		}
		return e
	}
	out := rec(e)
	return out, err
}

// Record is what the evaluator reads of a record: each queryable's value (nil for null; string, float64 or another
// Go number, bool, time.Time) and its geometry (nil for none).
type Record interface {
	Value(name string) any
	Geometry() orb.Geometry
}

// Program is a checked expression prepared for evaluation: geometry literals converted, LIKE patterns compiled.
type Program struct {
	e     Expr
	likes map[string]*regexp.Regexp
}

// prepared is a geometry literal converted once by Compile.
type prepared struct {
	g  sf.Geometry
	ok bool
}

func (prepared) isSpatial() {}

// Compile prepares e for Match. e must have passed Check. An invalid geometry literal (a self-intersecting polygon, an
// unclosed ring) is a *CheckError.
func Compile(e Expr) (*Program, error) {
	p := &Program{likes: map[string]*regexp.Regexp{}}
	var err error
	prep := func(a SpatialArg) SpatialArg {
		if g, ok := a.(Geometry); ok {
			s, cerr := toValidSF(g.G)
			if cerr != nil && err == nil {
				err = &CheckError{Msg: fmt.Sprintf("invalid geometry literal: %v", cerr)}
			}
			return prepared{g: s, ok: cerr == nil && !s.IsEmpty()}
		}
		return a
	}
	var rec func(Expr) Expr
	rec = func(e Expr) Expr {
		switch x := e.(type) {
		case And:
			args := make([]Expr, len(x.Args))
			for i, a := range x.Args {
				args[i] = rec(a)
			}
			return And{Args: args}
		case Or:
			args := make([]Expr, len(x.Args))
			for i, a := range x.Args {
				args[i] = rec(a)
			}
			return Or{Args: args}
		case Not:
			return Not{Arg: rec(x.Arg)}
		case Spatial:
			return Spatial{Op: x.Op, Left: prep(x.Left), Right: prep(x.Right)}
		}
		return e
	}
	p.e = rec(e)
	Walk(e, func(e Expr) {
		if l, ok := e.(Like); ok {
			if _, done := p.likes[l.Pattern]; !done {
				p.likes[l.Pattern] = likeRegexp(l.Pattern)
			}
		}
	})
	return p, err
}

// LikeRegexp translates a LIKE pattern (% any run, _ one character, \ escapes) to an anchored regular expression.
func likeRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// tri is a truth value of three-valued logic.
type tri int8

const (
	unknown tri = iota
	isFalse
	isTrue
)

func triOf(b bool) tri {
	if b {
		return isTrue
	}
	return isFalse
}

func (t tri) not() tri {
	switch t {
	case isTrue:
		return isFalse
	case isFalse:
		return isTrue
	}
	return unknown
}

// Match reports whether the filter is true for r (false and unknown both do not match).
func (p *Program) Match(r Record) bool {
	ev := evaluation{p: p, r: r}
	return ev.eval(p.e) == isTrue
}

type evaluation struct {
	p       *Program
	r       Record
	geom    sf.Geometry
	hasGeom bool
	done    bool
}

func (ev *evaluation) eval(e Expr) tri {
	switch x := e.(type) {
	case Bool:
		return triOf(x.Value)
	case And:
		out := isTrue
		for _, a := range x.Args {
			switch ev.eval(a) {
			case isFalse:
				return isFalse
			case unknown:
				out = unknown
			}
		}
		return out
	case Or:
		out := isFalse
		for _, a := range x.Args {
			switch ev.eval(a) {
			case isTrue:
				return isTrue
			case unknown:
				out = unknown
			}
		}
		return out
	case Not:
		return ev.eval(x.Arg).not()
	case Compare:
		c, ok := compare(ev.value(x.Left), ev.value(x.Right))
		if !ok {
			return unknown
		}
		switch x.Op {
		case "=":
			return triOf(c == 0)
		case "<>":
			return triOf(c != 0)
		case "<":
			return triOf(c < 0)
		case "<=":
			return triOf(c <= 0)
		case ">":
			return triOf(c > 0)
		default:
			return triOf(c >= 0)
		}
	case Like:
		s, ok := ev.value(x.Value).(string)
		if !ok {
			return unknown
		}
		t := triOf(ev.p.likes[x.Pattern].MatchString(s))
		if x.Not {
			return t.not()
		}
		return t
	case In:
		v := ev.value(x.Value)
		out := isFalse
		for _, it := range x.List {
			c, ok := compare(v, ev.value(it))
			if !ok {
				out = unknown
				continue
			}
			if c == 0 {
				out = isTrue
				break
			}
		}
		if x.Not {
			return out.not()
		}
		return out
	case Between:
		v := ev.value(x.Value)
		lo, ok1 := compare(v, ev.value(x.Low))
		hi, ok2 := compare(v, ev.value(x.High))
		var out tri
		switch {
		case ok1 && lo < 0, ok2 && hi > 0:
			out = isFalse
		case ok1 && ok2:
			out = isTrue
		}
		if x.Not {
			return out.not()
		}
		return out
	case IsNull:
		null := ev.value(x.Value) == nil
		return triOf(null != x.Not)
	case Spatial:
		return ev.spatial(x)
	}
	return unknown
}

func (ev *evaluation) value(s Scalar) any {
	switch x := s.(type) {
	case Literal:
		if t, ok := x.Value.(Time); ok {
			return t.T
		}
		return x.Value
	case Property:
		return normalise(ev.r.Value(x.Name))
	}
	return nil
}

func normalise(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case *int:
		if x == nil {
			return nil
		}
		return float64(*x)
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	case float32:
		return float64(x)
	}
	return v
}

// compare orders two non-null values of one type: strings by bytes (as COLLATE "C"), numbers, times, false < true.
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	}
	return 0, false
}

// ToSF converts an orb geometry to a simplefeatures one (for the DE-9IM predicates), without validating it.
func ToSF(g orb.Geometry) (sf.Geometry, error) {
	if b, ok := g.(orb.Bound); ok {
		g = BoundGeometry(b)
	}
	raw, err := wkb.Marshal(g)
	if err != nil {
		return sf.Geometry{}, err
	}
	return sf.UnmarshalWKB(raw, sf.NoValidate{})
}

// toValidSF is ToSF that also validates the geometry (OGC simple features rules), as a literal must be.
func toValidSF(g orb.Geometry) (sf.Geometry, error) {
	if b, ok := g.(orb.Bound); ok {
		g = BoundGeometry(b)
	}
	raw, err := wkb.Marshal(g)
	if err != nil {
		return sf.Geometry{}, err
	}
	return sf.UnmarshalWKB(raw)
}

func (ev *evaluation) spatialArg(a SpatialArg) (sf.Geometry, bool) {
	switch x := a.(type) {
	case prepared:
		return x.g, x.ok
	case Property:
		if !ev.done {
			ev.done = true
			if g := ev.r.Geometry(); g != nil {
				s, err := ToSF(g)
				ev.geom, ev.hasGeom = s, err == nil && !s.IsEmpty()
			}
		}
		return ev.geom, ev.hasGeom
	}
	return sf.Geometry{}, false
}

func (ev *evaluation) spatial(x Spatial) (out tri) {
	// simplefeatures' DE-9IM panics on some invalid inputs; a stored record that slipped validation is unknown, not a
	// crash.
	defer func() {
		if recover() != nil {
			out = unknown
		}
	}()
	a, ok1 := ev.spatialArg(x.Left)
	b, ok2 := ev.spatialArg(x.Right)
	if !ok1 || !ok2 {
		return unknown
	}
	if x.Op == "s_intersects" {
		return triOf(sf.Intersects(a, b))
	}
	w, err := sf.Within(a, b)
	if err != nil {
		return unknown
	}
	return triOf(w)
}
