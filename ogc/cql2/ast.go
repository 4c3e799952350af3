// Package cql2 parses OGC CQL2 filter expressions (OGC 21-065r2, Common Query Language) in both encodings, CQL2 Text
// and CQL2 JSON, into one AST, checks it against a collection's queryables, and evaluates it over a record in Go.
//
// Supported: Basic CQL2 (comparison =, <>, <, <=, >, >=; IS [NOT] NULL; AND, OR, NOT; string, number, boolean,
// TIMESTAMP and DATE literals), the advanced comparison operators LIKE, IN and BETWEEN (with NOT), and the spatial
// operators S_INTERSECTS and S_WITHIN on WKT (Text) or GeoJSON (JSON) geometry literals and BBOX(...). Not supported:
// functions, arithmetic, temporal and array operators, case-insensitive comparison (CASEI/ACCENTI).
//
// No maintained Go CQL2 parser is served by the module proxy here (github.com/planetlabs/go-ogc and
// github.com/go-spatial/cql2 are not), so the grammar is a small recursive-descent parser with a nesting limit
// (MaxDepth) and fuzz targets.
//
// Logic is SQL's three-valued logic (a comparison with a null is unknown; NOT unknown is unknown; a record matches only
// when the filter is true), so the Go evaluator and a SQL translation answer alike.
package cql2

import (
	"time"

	"github.com/paulmach/orb"
)

// MaxDepth is the deepest nesting of expressions either parser accepts; deeper is a syntax error (not a stack
// overflow).
const MaxDepth = 64

// Expr is a boolean expression (a predicate): And, Or, Not, Compare, Like, In, Between, IsNull, Spatial or Bool.
type Expr interface{ isExpr() }

// Scalar is an operand: Property or Literal.
type Scalar interface{ isScalar() }

// And is true when every argument is (two or more).
type And struct{ Args []Expr }

// Or is true when some argument is (two or more).
type Or struct{ Args []Expr }

// Not negates its argument (unknown stays unknown).
type Not struct{ Arg Expr }

// Bool is a literal true or false used as a predicate.
type Bool struct{ Value bool }

// Compare is Left Op Right, Op one of = <> < <= > >=.
type Compare struct {
	Op          string
	Left, Right Scalar
}

// Like is Value LIKE Pattern: % matches any run of characters, _ one character, \ escapes the next one. Case-sensitive.
type Like struct {
	Value   Scalar
	Pattern string
	Not     bool
}

// In is Value IN (List...).
type In struct {
	Value Scalar
	List  []Scalar
	Not   bool
}

// Between is Low <= Value <= High.
type Between struct {
	Value, Low, High Scalar
	Not              bool
}

// IsNull is Value IS NULL (or IS NOT NULL).
type IsNull struct {
	Value Scalar
	Not   bool
}

// Spatial is Op(Left, Right), Op "s_intersects" or "s_within" (Left within Right). Each side is a Property (the
// collection's geometry) or a Geometry literal.
type Spatial struct {
	Op          string
	Left, Right SpatialArg
}

// SpatialArg is a Property or a Geometry.
type SpatialArg interface{ isSpatial() }

// Property names a queryable.
type Property struct{ Name string }

// Literal is a string, float64, bool or Time value.
type Literal struct{ Value any }

// Time is a TIMESTAMP literal (UTC) or a DATE literal (Date set; midnight UTC of that day).
type Time struct {
	T    time.Time
	Date bool
}

// Geometry is a geometry literal (WKT, GeoJSON or BBOX), lon/lat in the filter's CRS until Transform moves it.
type Geometry struct{ G orb.Geometry }

func (And) isExpr()     {}
func (Or) isExpr()      {}
func (Not) isExpr()     {}
func (Bool) isExpr()    {}
func (Compare) isExpr() {}
func (Like) isExpr()    {}
func (In) isExpr()      {}
func (Between) isExpr() {}
func (IsNull) isExpr()  {}
func (Spatial) isExpr() {}

func (Property) isScalar() {}
func (Literal) isScalar()  {}

func (Property) isSpatial() {}
func (Geometry) isSpatial() {}

// Type is the type of a queryable (JSON Schema's, plus date-time and geometry).
type Type string

// Queryable types.
const (
	TypeString   Type = "string"
	TypeNumber   Type = "number" // integers too
	TypeBoolean  Type = "boolean"
	TypeTime     Type = "date-time"
	TypeGeometry Type = "geometry"
)

// Walk calls f for every expression in e, depth first, parents before children.
func Walk(e Expr, f func(Expr)) {
	f(e)
	switch x := e.(type) {
	case And:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case Or:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case Not:
		Walk(x.Arg, f)
	}
}

// Conj returns the conjunction of the non-nil es: nil when there are none, the one when there is one.
func Conj(es ...Expr) Expr {
	var args []Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		if a, ok := e.(And); ok {
			args = append(args, a.Args...)
			continue
		}
		args = append(args, e)
	}
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return And{Args: args}
}

// BoundGeometry is b as a simple-features geometry: its polygon, or the segment or point it collapses to when its width
// or height is zero. A zero-area polygon is invalid under OGC simple features (ISO 19125-1 6.1.11), yet bbox=x,y,x,y
// and BBOX(x,y,x,y) are legal: a query at a point or along a meridian.
func BoundGeometry(b orb.Bound) orb.Geometry {
	switch wide, tall := b.Max[0] > b.Min[0], b.Max[1] > b.Min[1]; {
	case wide && tall:
		return b.ToPolygon()
	case wide || tall:
		return orb.LineString{b.Min, b.Max}
	}
	return b.Min
}
