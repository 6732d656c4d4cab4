package quote

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// PushKind is the prefix of a text push frame.
type PushKind string

// The text pushes (NOTES §6.1).
const (
	PushTick    PushKind = "p"  // real-time tick
	PushTrade   PushKind = "pt" // a trade
	PushDepth   PushKind = "pd" // depth: header, then bid and ask levels
	PushRolling PushKind = "pr" // 24 h rolling statistics
)

// SchemaKind is the push's schema kind in schemas/websocket/quote.
func (k PushKind) SchemaKind() string { return "push_" + string(k) }

// pushFields names the positional values of each push, in order. The first
// three of every kind name the symbol; integerFields are written as JSON
// numbers when their text is an integer, every other value as the string it
// is (prices are decimal strings).
var pushFields = map[PushKind][]string{
	PushTick:    {"symbol_id", "trade_type", "trade_mode", "seq", "tick_time", "price", "price_bid1", "price_ask1", "volume_bid1", "volume_ask1"},
	PushTrade:   {"symbol_id", "trade_type", "trade_mode", "seq", "tick_time", "price", "volume", "trade_direction"},
	PushDepth:   {"symbol_id", "trade_type", "trade_mode", "seq", "tick_time"},
	PushRolling: {"symbol_id", "trade_type", "trade_mode", "rolling_last_price", "rolling_first_price", "rolling_high_price", "rolling_low_price", "rolling_transactions_number", "rolling_amount"},
}

var integerFields = map[string]bool{
	"symbol_id": true, "trade_type": true, "trade_mode": true, "seq": true, "tick_time": true,
	"trade_direction": true, "rolling_transactions_number": true,
}

// PriceFields are the fields of each push that carry a price.
var PriceFields = map[PushKind][]string{
	PushTick:    {"price", "price_bid1", "price_ask1"},
	PushTrade:   {"price"},
	PushRolling: {"rolling_last_price", "rolling_first_price", "rolling_high_price", "rolling_low_price"},
}

// Level is one (price,volume) pair of a depth push.
type Level struct {
	Price, Volume string
}

// Push is one parsed text push. Values holds the raw text of each named
// field in order; Extra the values past the documented ones (a vendor
// that appends a field drifts, it does not break the parse).
type Push struct {
	Kind   PushKind
	Names  []string
	Values []string
	Extra  []string
	// Bids and Asks are the levels of a depth push.
	Bids, Asks []Level
}

// Value returns the raw text of the named field.
func (p Push) Value(name string) (string, bool) {
	for i, n := range p.Names {
		if n == name {
			return p.Values[i], true
		}
	}
	return "", false
}

// Int returns the named field as an integer.
func (p Push) Int(name string) (int64, bool) {
	v, ok := p.Value(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// Symbol is the symbol the push is about; ok is false when any of its
// three values is missing or not an integer.
func (p Push) Symbol() (Symbol, bool) {
	id, ok1 := p.Value("symbol_id")
	tt, ok2 := p.Int("trade_type")
	tm, ok3 := p.Int("trade_mode")
	n, err := strconv.ParseUint(id, 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil {
		return Symbol{}, false
	}
	return Symbol{SymbolID: n, TradeType: int(tt), TradeMode: int(tm)}, true
}

// ParseError is a text frame that is not the documented push syntax.
// Offset is the byte where the parse failed.
type ParseError struct {
	Offset int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("not a quote push frame at byte %d: %s", e.Offset, e.Reason)
}

// maxPushValues bounds the values of one push, so a hostile frame cannot
// make the parser build an unbounded list.
const maxPushValues = 64

// IsPush reports whether a text frame starts like a push (p(, pt(, pd( or
// pr(), as opposed to a JSON response.
func IsPush(frame []byte) bool {
	_, rest, ok := kindOf(frame)
	return ok && len(rest) > 0 && rest[0] == '('
}

// ParsePushes parses a text frame of one or more pushes, each ending in
// ";". The frame is bounded by the socket's cap; the parser allocates in
// proportion to it and never panics (FuzzParsePushes).
func ParsePushes(frame []byte) ([]Push, error) {
	var out []Push
	p := parser{b: frame}
	for {
		p.skipSpace()
		if p.i == len(p.b) {
			break
		}
		push, err := p.push()
		if err != nil {
			return nil, err
		}
		out = append(out, push)
	}
	if len(out) == 0 {
		return nil, &ParseError{Offset: 0, Reason: "empty frame"}
	}
	return out, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) fail(reason string, args ...any) error {
	return &ParseError{Offset: p.i, Reason: fmt.Sprintf(reason, args...)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\r' || p.b[p.i] == '\t') {
		p.i++
	}
}

// kindOf splits the push prefix off b.
func kindOf(b []byte) (PushKind, []byte, bool) {
	for _, k := range []PushKind{PushTrade, PushDepth, PushRolling, PushTick} { // two-letter kinds first
		if bytes.HasPrefix(b, []byte(k)) {
			return k, b[len(k):], true
		}
	}
	return "", nil, false
}

func (p *parser) expect(c byte) error {
	if p.i >= len(p.b) {
		return p.fail("the frame ends where %q is expected", c)
	}
	if p.b[p.i] != c {
		return p.fail("%q where %q is expected", p.b[p.i], c)
	}
	p.i++
	return nil
}

func (p *parser) push() (Push, error) {
	kind, _, ok := kindOf(p.b[p.i:])
	if !ok {
		return Push{}, p.fail("no push prefix (p, pt, pd or pr)")
	}
	p.i += len(kind)
	values, err := p.group()
	if err != nil {
		return Push{}, err
	}
	if err := p.expect(';'); err != nil {
		return Push{}, err
	}
	push := Push{Kind: kind}
	names := pushFields[kind]
	n := min(len(values), len(names))
	push.Names, push.Values = names[:n], values[:n]
	if len(values) > n {
		push.Extra = values[n:]
	}
	if kind == PushDepth {
		if push.Bids, err = p.levels(); err != nil {
			return Push{}, err
		}
		if push.Asks, err = p.levels(); err != nil {
			return Push{}, err
		}
	}
	return push, nil
}

// group parses "(v1,v2,…)": values are any bytes but , ( ) ; and space.
func (p *parser) group() ([]string, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var values []string
	start := p.i
	for {
		if p.i >= len(p.b) {
			return nil, p.fail("unterminated value list")
		}
		switch c := p.b[p.i]; c {
		case ',', ')':
			if len(values) == maxPushValues {
				return nil, p.fail("more than %d values", maxPushValues)
			}
			values = append(values, string(p.b[start:p.i]))
			p.i++
			if c == ')' {
				return values, nil
			}
			start = p.i
		case '(', ';', ' ', '\n', '\r', '\t', '"', '{', '}':
			return nil, p.fail("%q inside a value list", c)
		default:
			p.i++
		}
	}
}

// levels parses a depth side, "(price,volume)(price,volume)…;".
func (p *parser) levels() ([]Level, error) {
	var out []Level
	for p.i < len(p.b) && p.b[p.i] == '(' {
		if len(out) == maxPushValues {
			return nil, p.fail("more than %d depth levels", maxPushValues)
		}
		vs, err := p.group()
		if err != nil {
			return nil, err
		}
		if len(vs) != 2 {
			return nil, p.fail("a depth level has %d values, want price and volume", len(vs))
		}
		out = append(out, Level{Price: vs[0], Volume: vs[1]})
	}
	return out, p.expect(';')
}

// AppendJSON appends the push as {"frame": kind, "data": {…}}: integer
// fields as numbers where their text is an integer (else as the string
// seen, which the schema then refuses), every other value as its string,
// depth levels as {price, volume} lists, extra values as "extra".
func (p Push) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"frame":`...)
	dst = jsontok.AppendString(dst, string(p.Kind))
	dst = append(dst, `,"data":{`...)
	for i, name := range p.Names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsontok.AppendString(dst, name)
		dst = append(dst, ':')
		v := p.Values[i]
		if integerFields[name] && isInteger(v) {
			dst = append(dst, v...)
		} else {
			dst = jsontok.AppendString(dst, v)
		}
	}
	sep := func() {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
	}
	if p.Kind == PushDepth {
		sep()
		dst = appendLevels(append(dst, `"bids":`...), p.Bids)
		dst = appendLevels(append(dst, `,"asks":`...), p.Asks)
	}
	if len(p.Extra) > 0 {
		sep()
		dst = append(dst, `"extra":[`...)
		for i, v := range p.Extra {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsontok.AppendString(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, "}}"...)
}

func appendLevels(dst []byte, ls []Level) []byte {
	dst = append(dst, '[')
	for i, l := range ls {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"price":`...)
		dst = jsontok.AppendString(dst, l.Price)
		dst = append(dst, `,"volume":`...)
		dst = jsontok.AppendString(dst, l.Volume)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// isInteger reports whether s is a JSON integer: an optional minus, and
// digits without a leading zero, at most 18 of them, so always within the
// tokenizer's int64 range (longer is written as a string, and the schema
// says why).
func isInteger(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (len(d) > 1 && d[0] == '0') {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// IsDecimal reports whether s is a decimal string as the vendor writes
// prices: digits, optionally a point and digits, optionally a minus.
func IsDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	intPart, frac, hasPoint := cutByte(s, '.')
	if !allDigits(intPart) || (hasPoint && !allDigits(frac)) {
		return false
	}
	return true
}

// FractionDigits is the number of digits after the point of a decimal.
func FractionDigits(s string) int {
	_, frac, _ := cutByte(s, '.')
	return len(frac)
}

func cutByte(s string, c byte) (string, string, bool) {
	if i := strings.IndexByte(s, c); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
