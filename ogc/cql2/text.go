package cql2

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// SyntaxError is a filter that does not parse. Pos is the 1-based character (rune) offset in CQL2 Text, or the byte
// offset in CQL2 JSON, where the problem was found; Path is the JSON location (e.g. args[1].args[0]) for CQL2 JSON.
type SyntaxError struct {
	Pos  int
	Path string
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("at %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("at character %d: %s", e.Pos, e.Msg)
}

// MaxLength is the longest filter (bytes) ParseText and ParseJSON read.
const MaxLength = 256 << 10

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "property"
	tString // 'text'
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string // identifiers upper-cased in up; strings unescaped
	up   string
	num  float64
	pos  int // 1-based rune offset
}

type lexer struct {
	src  string
	i    int // byte offset
	rune int // runes consumed before i
}

func (l *lexer) errAt(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) advance(n int) {
	l.rune += utf8.RuneCountInString(l.src[l.i : l.i+n])
	l.i += n
}

func (l *lexer) next() (token, error) {
	for l.i < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.i:])
		if !unicode.IsSpace(r) {
			break
		}
		l.advance(n)
	}
	pos := l.rune + 1
	if l.i >= len(l.src) {
		return token{kind: tEOF, pos: pos}, nil
	}
	s := l.src[l.i:]
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && n == 1:
		return token{}, l.errAt(pos, "invalid UTF-8")
	case r == '\'' || r == '"':
		var b strings.Builder
		j := n
		for {
			if j >= len(s) {
				what := "string"
				if r == '"' {
					what = "quoted property name"
				}
				return token{}, l.errAt(pos, "unterminated %s", what)
			}
			c, m := utf8.DecodeRuneInString(s[j:])
			if c == r {
				if j+m < len(s) && rune(s[j+m]) == r { // doubled quote
					b.WriteRune(r)
					j += 2 * m
					continue
				}
				j += m
				break
			}
			b.WriteString(s[j : j+m])
			j += m
		}
		l.advance(j)
		k := tString
		if r == '"' {
			k = tQuoted
		}
		return token{kind: k, text: b.String(), pos: pos}, nil
	case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
		j := 0
		if r == '-' || r == '+' {
			j = 1
		}
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
			(j > 0 && (s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
			j++
		}
		v, err := strconv.ParseFloat(s[:j], 64)
		if err != nil || j == 0 || (j == 1 && (r == '-' || r == '+')) {
			return token{}, l.errAt(pos, "malformed number %q", s[:max(j, 1)])
		}
		l.advance(j)
		return token{kind: tNumber, text: s[:j], num: v, pos: pos}, nil
	case unicode.IsLetter(r) || r == '_':
		j := 0
		for j < len(s) {
			c, m := utf8.DecodeRuneInString(s[j:])
			if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == ':' || c == '.') {
				break
			}
			j += m
		}
		l.advance(j)
		return token{kind: tIdent, text: s[:j], up: strings.ToUpper(s[:j]), pos: pos}, nil
	}
	for _, p := range []string{"<>", "<=", ">=", "=", "<", ">", "(", ")", ","} {
		if strings.HasPrefix(s, p) {
			l.advance(len(p))
			return token{kind: tPunct, text: p, pos: pos}, nil
		}
	}
	return token{}, l.errAt(pos, "unexpected character %q", r)
}

type textParser struct {
	lex   lexer
	tok   token
	depth int
}

// ParseText parses a CQL2 Text filter. Errors are *SyntaxError with the character position.
func ParseText(s string) (Expr, error) {
	if len(s) > MaxLength {
		return nil, &SyntaxError{Pos: 1, Msg: fmt.Sprintf("the filter is longer than %d bytes", MaxLength)}
	}
	p := &textParser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf("unexpected %s after the end of the expression", p.describe())
	}
	return e, nil
}

func (p *textParser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *textParser) errf(format string, args ...any) error {
	return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *textParser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return fmt.Sprintf("string '%s'", p.tok.text)
	case tQuoted:
		return fmt.Sprintf("%q", p.tok.text)
	}
	return fmt.Sprintf("%q", p.tok.text)
}

func (p *textParser) isKeyword(k string) bool { return p.tok.kind == tIdent && p.tok.up == k }
func (p *textParser) isPunct(k string) bool   { return p.tok.kind == tPunct && p.tok.text == k }

func (p *textParser) expectPunct(k string) error {
	if !p.isPunct(k) {
		return p.errf("expected %q, found %s", k, p.describe())
	}
	return p.advance()
}

func (p *textParser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf("the filter nests more than %d levels deep", MaxDepth)
	}
	return nil
}

func (p *textParser) orExpr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	first, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.isKeyword("OR") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return Or{Args: args}, nil
}

func (p *textParser) andExpr() (Expr, error) {
	first, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.isKeyword("AND") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return And{Args: args}, nil
}

func (p *textParser) notExpr() (Expr, error) {
	if p.isKeyword("NOT") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return p.primary()
}

var spatialOps = map[string]string{"S_INTERSECTS": "s_intersects", "S_WITHIN": "s_within"}

func (p *textParser) primary() (Expr, error) {
	switch {
	case p.isPunct("("):
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		return e, p.expectPunct(")")
	case p.isKeyword("TRUE") || p.isKeyword("FALSE"):
		v := p.tok.up == "TRUE"
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tPunct && p.tok.text != ")" && p.tok.text != "," || p.isKeyword("IS") || p.isKeyword("IN") ||
			p.isKeyword("LIKE") || p.isKeyword("BETWEEN") {
			return p.predicate(Literal{Value: v})
		}
		return Bool{Value: v}, nil
	case p.tok.kind == tIdent && spatialOps[p.tok.up] != "":
		op := spatialOps[p.tok.up]
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		a, err := p.spatialArg()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
		b, err := p.spatialArg()
		if err != nil {
			return nil, err
		}
		return Spatial{Op: op, Left: a, Right: b}, p.expectPunct(")")
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	return p.predicate(left)
}

// predicate reads what follows a scalar: a comparison, [NOT] LIKE/IN/BETWEEN or IS [NOT] NULL.
func (p *textParser) predicate(left Scalar) (Expr, error) {
	if p.tok.kind == tPunct {
		switch op := p.tok.text; op {
		case "=", "<>", "<", "<=", ">", ">=":
			if err := p.advance(); err != nil {
				return nil, err
			}
			right, err := p.scalar()
			if err != nil {
				return nil, err
			}
			return Compare{Op: op, Left: left, Right: right}, nil
		}
	}
	if p.isKeyword("IS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		not := false
		if p.isKeyword("NOT") {
			not = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.isKeyword("NULL") {
			return nil, p.errf("expected NULL after IS, found %s", p.describe())
		}
		return IsNull{Value: left, Not: not}, p.advance()
	}
	not := false
	if p.isKeyword("NOT") {
		not = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	switch {
	case p.isKeyword("LIKE"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tString {
			return nil, p.errf("LIKE needs a string pattern, found %s", p.describe())
		}
		pat := p.tok.text
		return Like{Value: left, Pattern: pat, Not: not}, p.advance()
	case p.isKeyword("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		var list []Scalar
		for {
			s, err := p.scalar()
			if err != nil {
				return nil, err
			}
			list = append(list, s)
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return In{Value: left, List: list, Not: not}, p.expectPunct(")")
	case p.isKeyword("BETWEEN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.errf("expected AND in BETWEEN, found %s", p.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Between{Value: left, Low: lo, High: hi, Not: not}, nil
	}
	if not {
		return nil, p.errf("expected LIKE, IN or BETWEEN after NOT, found %s", p.describe())
	}
	return nil, p.errf("expected a comparison operator, IS, LIKE, IN or BETWEEN, found %s", p.describe())
}

func (p *textParser) scalar() (Scalar, error) {
	t := p.tok
	switch t.kind {
	case tString:
		return Literal{Value: t.text}, p.advance()
	case tNumber:
		return Literal{Value: t.num}, p.advance()
	case tQuoted:
		return Property{Name: t.text}, p.advance()
	case tIdent:
		switch t.up {
		case "TRUE", "FALSE":
			return Literal{Value: t.up == "TRUE"}, p.advance()
		case "TIMESTAMP", "DATE":
			if err := p.advance(); err != nil {
				return nil, err
			}
			if err := p.expectPunct("("); err != nil {
				return nil, err
			}
			if p.tok.kind != tString {
				return nil, p.errf("%s needs a quoted value, found %s", t.up, p.describe())
			}
			tm, err := parseTime(p.tok.text, t.up == "DATE")
			if err != nil {
				return nil, p.errf("%v", err)
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			return Literal{Value: tm}, p.expectPunct(")")
		case "AND", "OR", "NOT", "IS", "NULL", "LIKE", "IN", "BETWEEN":
			return nil, p.errf("expected a property or a value, found keyword %s", t.up)
		}
		if p.lookaheadParen() {
			return nil, p.errf("unknown function %s (functions are not supported)", t.text)
		}
		return Property{Name: t.text}, p.advance()
	}
	return nil, p.errf("expected a property or a value, found %s", p.describe())
}

// lookaheadParen reports whether the token after the current one is "(".
func (p *textParser) lookaheadParen() bool {
	save := p.lex
	t, err := p.lex.next()
	p.lex = save
	return err == nil && t.kind == tPunct && t.text == "("
}

func parseTime(s string, date bool) (Time, error) {
	if date {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Time{}, fmt.Errorf("DATE %q is not YYYY-MM-DD", s)
		}
		return Time{T: t, Date: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Time{}, fmt.Errorf("TIMESTAMP %q is not RFC 3339 (e.g. 2024-01-31T08:00:00Z)", s)
	}
	return Time{T: t.UTC()}, nil
}

func (p *textParser) spatialArg() (SpatialArg, error) {
	if p.tok.kind == tQuoted {
		name := p.tok.text
		return Property{Name: name}, p.advance()
	}
	if p.tok.kind != tIdent {
		return nil, p.errf("expected a geometry property or a WKT geometry, found %s", p.describe())
	}
	switch p.tok.up {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "BBOX":
		g, err := p.wkt()
		if err != nil {
			return nil, err
		}
		return Geometry{G: g}, nil
	}
	name := p.tok.text
	return Property{Name: name}, p.advance()
}

// wkt reads a WKT geometry (2D) or BBOX(minx, miny, maxx, maxy).
func (p *textParser) wkt() (orb.Geometry, error) {
	kind := p.tok.up
	if err := p.advance(); err != nil {
		return nil, err
	}
	if kind == "BBOX" {
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		var v [4]float64
		for i := range v {
			if i > 0 {
				if err := p.expectPunct(","); err != nil {
					return nil, err
				}
			}
			if p.tok.kind != tNumber {
				return nil, p.errf("BBOX needs 4 numbers, found %s", p.describe())
			}
			v[i] = p.tok.num
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if v[0] > v[2] || v[1] > v[3] {
			return nil, p.errf("BBOX minimum above its maximum")
		}
		return BoundGeometry(orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}), p.expectPunct(")")
	}
	if p.isKeyword("Z") || p.isKeyword("M") || p.isKeyword("ZM") {
		return nil, p.errf("only 2D geometries are supported")
	}
	switch kind {
	case "POINT":
		var pt orb.Point
		err := p.parens(func() error { var err error; pt, err = p.point(); return err })
		return pt, err
	case "LINESTRING":
		ls, err := p.points()
		return orb.LineString(ls), err
	case "POLYGON":
		return p.polygon()
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(func() error {
			if p.isPunct("(") {
				return p.parens(func() error { pt, err := p.point(); mp = append(mp, pt); return err })
			}
			pt, err := p.point()
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error { ls, err := p.points(); ml = append(ml, orb.LineString(ls)); return err })
		return ml, err
	default: // MULTIPOLYGON
		var mp orb.MultiPolygon
		err := p.list(func() error { pg, err := p.polygon(); mp = append(mp, pg); return err })
		return mp, err
	}
}

func (p *textParser) parens(f func() error) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer func() { p.depth-- }()
	if err := p.expectPunct("("); err != nil {
		return err
	}
	if err := f(); err != nil {
		return err
	}
	return p.expectPunct(")")
}

// list reads "(" item {"," item} ")".
func (p *textParser) list(item func() error) error {
	return p.parens(func() error {
		for {
			if err := item(); err != nil {
				return err
			}
			if !p.isPunct(",") {
				return nil
			}
			if err := p.advance(); err != nil {
				return err
			}
		}
	})
}

func (p *textParser) point() (orb.Point, error) {
	var pt orb.Point
	for i := range 2 {
		if p.tok.kind != tNumber {
			return pt, p.errf("expected a coordinate, found %s", p.describe())
		}
		pt[i] = p.tok.num
		if err := p.advance(); err != nil {
			return pt, err
		}
	}
	if p.tok.kind == tNumber {
		return pt, p.errf("only 2D coordinates are supported")
	}
	return pt, nil
}

func (p *textParser) points() ([]orb.Point, error) {
	var pts []orb.Point
	err := p.list(func() error { pt, err := p.point(); pts = append(pts, pt); return err })
	return pts, err
}

func (p *textParser) polygon() (orb.Polygon, error) {
	var pg orb.Polygon
	err := p.list(func() error { r, err := p.points(); pg = append(pg, orb.Ring(r)); return err })
	return pg, err
}
