package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Defaults for Inferrer limits.
const (
	// DefaultMaxDepth bounds container nesting. Vendor responses nest a
	// handful of levels; the bound exists so a hostile or broken body cannot
	// build unbounded pointers.
	DefaultMaxDepth = 64
	// DefaultMaxFields bounds the distinct pointers of one response. Objects
	// keyed by ids (maps) would otherwise turn a baseline into a data dump.
	DefaultMaxFields = 10000
)

// Errors returned by Infer, for errors.Is.
var (
	ErrNotObject     = errors.New("response body is not a JSON object")
	ErrTooDeep       = errors.New("response body nests too deeply")
	ErrTooManyFields = errors.New("response body has too many distinct pointers")
)

// Inferrer builds shapes from response bodies. The zero value uses the
// defaults; it holds no state between calls and is safe for concurrent use.
type Inferrer struct {
	// EnumKeys adds member names (matched case-insensitively) whose values are
	// recorded as codes, on top of the built-in names (see IsEnumKey).
	EnumKeys []string
	// MaxDepth bounds nesting; 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxFields bounds distinct pointers per body; 0 means DefaultMaxFields.
	MaxFields int
}

// Infer builds the shape of one response body with the default Inferrer.
func Infer(body []byte) (Shape, error) {
	return Inferrer{}.Infer(body)
}

// IsEnumKey reports whether a member of that name holds a code whose values
// a shape records: status, type, code, bizCode, currency (any case), and
// camelCase or snake_case names ending in Status or Type (kycStatus, tradeType,
// order_status).
func IsEnumKey(key string) bool {
	switch strings.ToLower(key) {
	case "status", "type", "code", "bizcode", "currency":
		return true
	}
	for _, suffix := range []string{"Status", "Type", "_status", "_type"} {
		if len(key) > len(suffix) && strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return false
}

func (in Inferrer) isEnumKey(key string) bool {
	if IsEnumKey(key) {
		return true
	}
	for _, k := range in.EnumKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// acc accumulates one pointer during inference.
type acc struct {
	Field
	enum     bool
	lastInst int // the object instance that last counted this member, to count duplicate keys once
}

// frame is one open container.
type frame struct {
	object  bool
	first   bool   // nothing read inside the container yet
	discard bool   // inside the value of a duplicate member: parse, record nothing
	ptrLen  int    // length of the pointer buffer at this container
	inst    int    // object instance number, to count duplicate members once
	name    []byte // member name of the container, inherited by array items for enum detection
}

// Infer builds the shape of one response body.
//
// It scans the bytes once with a small validating JSON scanner instead of
// encoding/json's Decoder.Token, which costs a reflective decode and several
// allocations per token (about 1 s and 14 bytes allocated per payload byte on
// a 10,000-item list). The scanner never recurses, so memory is bounded by the
// distinct pointers and the nesting, not by the body, and a deeply nested body
// fails with ErrTooDeep instead of exhausting the stack. Numbers without
// fraction or exponent are integers whatever their magnitude.
func (in Inferrer) Infer(body []byte) (Shape, error) {
	s, err := in.infer(body)
	if err != nil {
		return Shape{}, fmt.Errorf("infer shape: %w", err)
	}
	return s, nil
}

func (in Inferrer) infer(body []byte) (Shape, error) {
	maxDepth, maxFields := in.MaxDepth, in.MaxFields
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	sc := scanner{data: body}
	sc.ws()
	if sc.pos >= len(body) {
		return Shape{}, io.ErrUnexpectedEOF
	}
	if c := body[sc.pos]; c != '{' {
		if strings.IndexByte(`["-0123456789tfn`, c) >= 0 {
			return Shape{}, ErrNotObject
		}
		return Shape{}, sc.invalid("looking for beginning of value")
	}
	sc.pos++

	fields := map[string]*acc{}
	var (
		ptr   = make([]byte, 0, 128)
		stack = append(make([]frame, 0, 16), frame{object: true, first: true, inst: 1})
		insts = 1

		rootCode     string
		haveRootCode bool
		rootOK       bool
	)
	lookup := func(name []byte) (*acc, error) {
		a := fields[string(ptr)]
		if a == nil {
			if len(fields) >= maxFields {
				return nil, fmt.Errorf("%w (more than %d)", ErrTooManyFields, maxFields)
			}
			a = &acc{enum: in.isEnumKey(string(name))}
			fields[string(ptr)] = a
		}
		return a, nil
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		sc.ws()
		if sc.pos >= len(body) {
			return Shape{}, io.ErrUnexpectedEOF
		}
		c := body[sc.pos]
		closer := byte(']')
		if top.object {
			closer = '}'
		}
		switch {
		case c == closer: // after a comma a value is required, so this is never "[1,]"
			sc.pos++
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				ptr = ptr[:stack[len(stack)-1].ptrLen]
			}
			continue
		case top.first:
			top.first = false
		case c == ',':
			sc.pos++
			sc.ws()
		default:
			return Shape{}, sc.invalid("after value")
		}

		// A value follows: of a member (read its name first) or an array item.
		var (
			name []byte
			a    *acc
			err  error
		)
		discard := top.discard
		if top.object {
			if sc.pos >= len(body) {
				return Shape{}, io.ErrUnexpectedEOF
			}
			if body[sc.pos] != '"' {
				return Shape{}, sc.invalid("looking for beginning of object key string")
			}
			key, err := sc.str()
			if err != nil {
				return Shape{}, err
			}
			sc.ws()
			if sc.pos >= len(body) {
				return Shape{}, io.ErrUnexpectedEOF
			}
			if body[sc.pos] != ':' {
				return Shape{}, sc.invalid("after object key")
			}
			sc.pos++
			sc.ws()
			if !discard {
				ptr = append(ptr[:top.ptrLen], '/')
				ptr = appendEscaped(ptr, key)
				name = key
				if a, err = lookup(name); err != nil {
					return Shape{}, err
				}
				if a.lastInst == top.inst {
					discard = true // a repeated member: the first occurrence wins
				} else {
					a.lastInst = top.inst
					a.Seen++
				}
			}
		} else if !discard {
			name = top.name
			ptr = append(ptr[:top.ptrLen], "/*"...)
			if a, err = lookup(name); err != nil {
				return Shape{}, err
			}
			a.Seen++
		}
		if sc.pos >= len(body) {
			return Shape{}, io.ErrUnexpectedEOF
		}
		root := len(stack) == 1
		switch c := body[sc.pos]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return Shape{}, fmt.Errorf("%w (more than %d levels)", ErrTooDeep, maxDepth)
			}
			sc.pos++
			f := frame{object: c == '{', first: true, discard: discard, ptrLen: len(ptr), name: name}
			if !discard {
				if c == '{' {
					a.Types |= TypeSet(Object)
					a.Objects++
				} else {
					a.Types |= TypeSet(Array)
				}
			}
			if c == '{' {
				insts++
				f.inst = insts
			}
			stack = append(stack, f)
		case c == '"':
			v, err := sc.str()
			if err != nil {
				return Shape{}, err
			}
			if discard {
				break
			}
			a.Types |= TypeSet(String)
			if a.enum {
				a.record(v)
			}
			if root && string(name) == "code" {
				rootCode, haveRootCode = string(v), true
			}
		case c == '-' || c >= '0' && c <= '9':
			v, integer, err := sc.number()
			if err != nil {
				return Shape{}, err
			}
			if discard {
				break
			}
			if !integer {
				a.Types |= TypeSet(Number)
				break
			}
			a.Types |= TypeSet(Integer)
			if a.enum {
				a.record(v)
			}
			if root && string(name) == "code" {
				rootCode, haveRootCode = string(v), true
			}
		default:
			t, truth, err := sc.literal()
			if err != nil {
				return Shape{}, err
			}
			if discard {
				break
			}
			if t == Null {
				a.Types |= TypeSet(Null)
				break
			}
			a.Types |= TypeSet(Boolean)
			if root && string(name) == "ok" {
				rootOK = truth
			}
		}
	}
	sc.ws()
	if sc.pos != len(body) {
		return Shape{}, fmt.Errorf("unexpected data after the JSON object at offset %d", sc.pos)
	}

	s := Shape{Samples: 1, Fields: make(map[string]Field, len(fields))}
	for p, a := range fields {
		a.Values = sortedValues(a.Values)
		s.Fields[p] = a.Field
	}
	if rootOK && haveRootCode && codeLike(rootCode) {
		s.OKCodes = []string{rootCode}
	}
	return s, nil
}

// scanner reads JSON tokens from a byte slice. It validates the grammar of
// strings, numbers and literals; the structure (braces, commas, colons) is
// validated by Infer's loop.
type scanner struct {
	data []byte
	pos  int
}

func (sc *scanner) ws() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// invalid reports the byte at pos as a syntax error, in encoding/json's words.
func (sc *scanner) invalid(context string) error {
	return fmt.Errorf("invalid character %q %s at offset %d", rune(sc.data[sc.pos]), context, sc.pos)
}

// str reads a string at pos (which holds '"'). Strings without escapes and
// with valid UTF-8, nearly all of them, are returned as a subslice without
// copying; others are decoded exactly as encoding/json decodes them.
func (sc *scanner) str() ([]byte, error) {
	start := sc.pos + 1
	plain := true
	for i := start; i < len(sc.data); i++ {
		switch c := sc.data[i]; {
		case c == '"':
			raw := sc.data[start:i]
			sc.pos = i + 1
			if plain || utf8.Valid(raw) && !bytes.ContainsRune(raw, '\\') {
				return raw, nil
			}
			var s string
			if err := json.Unmarshal(sc.data[start-1:i+1], &s); err != nil {
				return nil, fmt.Errorf("invalid string at offset %d: %w", start-1, err)
			}
			return []byte(s), nil
		case c == '\\':
			plain = false
			i++ // the escaped byte cannot end the string; json.Unmarshal validates the escape
		case c < 0x20:
			sc.pos = i
			return nil, sc.invalid("in string literal")
		case c >= 0x80:
			plain = false
		}
	}
	return nil, io.ErrUnexpectedEOF
}

// number reads a number at pos and reports whether it is an integer: no
// fraction and no exponent, whatever its magnitude.
func (sc *scanner) number() (raw []byte, integer bool, err error) {
	d, start := sc.data, sc.pos
	i := start
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	fail := func(context string) ([]byte, bool, error) {
		if i >= len(d) {
			return nil, false, io.ErrUnexpectedEOF
		}
		sc.pos = i
		return nil, false, sc.invalid(context)
	}
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		return fail("in numeric literal")
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		i++
		integer = false
		if digits() == 0 {
			return fail("after decimal point in numeric literal")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		integer = false
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return fail("in exponent of numeric literal")
		}
	}
	sc.pos = i
	return d[start:i], integer, nil
}

var literals = []struct {
	text  string
	t     Type
	truth bool
}{{"true", Boolean, true}, {"false", Boolean, false}, {"null", Null, false}}

// literal reads true, false or null at pos.
func (sc *scanner) literal() (t Type, truth bool, err error) {
	rest := sc.data[sc.pos:]
	for _, lit := range literals {
		if bytes.HasPrefix(rest, []byte(lit.text)) {
			sc.pos += len(lit.text)
			return lit.t, lit.truth, nil
		}
		if len(rest) < len(lit.text) && strings.HasPrefix(lit.text, string(rest)) {
			return 0, false, io.ErrUnexpectedEOF
		}
	}
	return 0, false, sc.invalid("looking for beginning of value")
}

// record adds a code value, or drops the field's values for good once it is
// clearly not enum-like. It allocates only for a value not seen before.
func (a *acc) record(v []byte) {
	if a.ValuesDropped {
		return
	}
	if !codeLike(string(v)) {
		a.ValuesDropped, a.Values = true, nil
		return
	}
	for _, x := range a.Values {
		if x == string(v) {
			return
		}
	}
	if len(a.Values) >= MaxEnumValues {
		a.ValuesDropped, a.Values = true, nil
		return
	}
	a.Values = append(a.Values, string(v))
}

// appendEscaped appends key escaped as a JSON pointer reference token without
// allocating.
func appendEscaped(dst, key []byte) []byte {
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '~':
			dst = append(dst, '~', '0')
		case '/':
			dst = append(dst, '~', '1')
		default:
			dst = append(dst, key[i])
		}
	}
	return dst
}
