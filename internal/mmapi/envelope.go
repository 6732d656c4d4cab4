package mmapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest JSON nesting the client accepts. The vendor's
// deepest documented payload is a handful of levels; everything downstream
// (schema validation, redaction, shape inference) recurses, so a hostile or
// broken body is refused here rather than trusted to every consumer.
const MaxDepth = 128

// Envelope is the vendor's response wrapper, decoded with exact (case-
// sensitive) field names and strict types.
type Envelope struct {
	BizCode   string
	Code      string
	Msg       string
	Tm        int64
	Trace     string
	MsgParams *string
	// Data is the raw "data" member, a sub-slice of the body it was decoded
	// from (nil when absent). Treat it as read-only.
	Data json.RawMessage
	OK   bool
	Fail bool

	hasOK bool
}

// Success reports whether the envelope signals success: ok when present,
// otherwise code "0" (the rule the vendor's own H5 client uses). The
// ok/fail/code invariants themselves are the suites' business.
func (e *Envelope) Success() bool {
	if e.hasOK {
		return e.OK
	}
	return e.Code == "0"
}

// DecodeEnvelope decodes body as a vendor envelope. Any failure is a
// *ContractError with a one-line reason: an empty body, invalid UTF-8,
// invalid JSON, duplicate keys at any depth, an integer beyond int64 or a
// number beyond float64 anywhere, nesting deeper than MaxDepth, a non-object
// top level, a wrong-typed envelope field, or neither "code" nor "ok".
//
// It never panics and runs in time linear in len(body).
func DecodeEnvelope(body []byte) (*Envelope, error) {
	members, err := scanJSON(body)
	if err != nil {
		return nil, err
	}
	env := &Envelope{}
	var hasCode bool
	for _, m := range members {
		raw := body[m.start:m.end]
		key := m.key.bytes(body)
		var ferr error
		switch string(key) {
		case "bizCode":
			env.BizCode, ferr = fieldString(raw)
		case "code":
			hasCode = true
			env.Code, ferr = fieldString(raw)
		case "msg":
			env.Msg, ferr = fieldString(raw)
		case "trace":
			env.Trace, ferr = fieldString(raw)
		case "msgParams":
			if string(raw) != "null" {
				var s string
				if s, ferr = fieldString(raw); ferr == nil {
					env.MsgParams = &s
				}
			}
		case "tm":
			env.Tm, ferr = fieldInt64(raw)
		case "ok":
			env.hasOK = true
			env.OK, ferr = fieldBool(raw)
		case "fail":
			env.Fail, ferr = fieldBool(raw)
		case "data":
			env.Data = json.RawMessage(raw)
		}
		if ferr != nil {
			return nil, &ContractError{Reason: fmt.Sprintf("envelope field %q: %v", key, ferr)}
		}
	}
	if !hasCode && !env.hasOK {
		return nil, &ContractError{Reason: `not an envelope: neither "code" nor "ok" is present`}
	}
	return env, nil
}

func kind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// fieldString accepts a string or null (the vendor is a Java backend and
// nulls unset strings; the envelope schema decides whether that is allowed).
func fieldString(raw []byte) (string, error) {
	switch raw[0] {
	case 'n':
		return "", nil
	case '"':
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return string(inner), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("bad string: %w", err)
		}
		return s, nil
	}
	return "", fmt.Errorf("is a %s, want string", kind(raw))
}

func fieldInt64(raw []byte) (int64, error) {
	if raw[0] == 'n' {
		return 0, nil
	}
	if kind(raw) != "number" {
		return 0, fmt.Errorf("is a %s, want integer", kind(raw))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an int64 integer", clip(raw))
	}
	return n, nil
}

func fieldBool(raw []byte) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, fmt.Errorf("is a %s, want boolean", kind(raw))
}

func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// keyRef locates an object key in the body. esc holds the unescaped key when
// the raw key contains escapes, so "a" and "\u0061" compare equal.
type keyRef struct {
	start, end int
	esc        []byte
}

func (k keyRef) bytes(body []byte) []byte {
	if k.esc != nil {
		return k.esc
	}
	return body[k.start:k.end]
}

type member struct {
	key        keyRef
	start, end int
}

type frame struct {
	obj   bool
	start int      // offset of the opening bracket
	n     int      // elements (arrays) or keys (objects) seen
	keys  []keyRef // objects: every key, for the duplicate check
	index map[uint64]int
}

// seen records k in the object and reports whether it was already there.
// Small objects compare linearly; wide ones index keys by hash so a hostile
// million-key object stays linear without allocating a string per key.
func (f *frame) seen(body []byte, k keyRef) bool {
	kb := k.bytes(body)
	const linear = 64
	if len(f.keys) < linear {
		for _, prev := range f.keys {
			if bytes.Equal(prev.bytes(body), kb) {
				return true
			}
		}
		f.keys = append(f.keys, k)
		return false
	}
	if f.index == nil {
		f.index = make(map[uint64]int, 64)
	}
	if len(f.index) == 0 {
		for i, prev := range f.keys {
			f.index[maphash.Bytes(hashSeed, prev.bytes(body))] = i
		}
	}
	h := maphash.Bytes(hashSeed, kb)
	if i, ok := f.index[h]; ok {
		if bytes.Equal(f.keys[i].bytes(body), kb) {
			return true
		}
		// A hash collision: settle it exactly.
		for _, prev := range f.keys {
			if bytes.Equal(prev.bytes(body), kb) {
				return true
			}
		}
	} else {
		f.index[h] = len(f.keys)
	}
	f.keys = append(f.keys, k)
	return false
}

var hashSeed = maphash.MakeSeed()

type scanner struct {
	b       []byte
	i       int
	stack   []frame
	members []member
}

// scanJSON validates body strictly in one iterative pass (no recursion, so
// depth cannot exhaust the stack) and returns the top-level object members.
func scanJSON(body []byte) ([]member, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &ContractError{Reason: "empty body"}
	}
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, size := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &ContractError{Reason: fmt.Sprintf("invalid UTF-8 at offset %d", off)}
	}
	s := &scanner{b: body}
	if err := s.run(); err != nil {
		return nil, err
	}
	first := s.b[s.skip(0)]
	if first != '{' {
		return nil, &ContractError{Reason: fmt.Sprintf("not an envelope: top level is a JSON %s, not an object", kind(s.b[s.skip(0):]))}
	}
	return s.members, nil
}

func (s *scanner) skip(i int) int {
	for i < len(s.b) {
		switch s.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (s *scanner) ws() { s.i = s.skip(s.i) }

func (s *scanner) syntax(what string) error {
	if s.i >= len(s.b) {
		return &ContractError{Reason: fmt.Sprintf("invalid JSON: unexpected end of input at offset %d (truncated body?)", s.i)}
	}
	c := s.b[s.i]
	if s.i == s.skip(0) && len(s.stack) == 0 {
		return &ContractError{Reason: fmt.Sprintf("not JSON: body starts with %q", rune(c))}
	}
	return &ContractError{Reason: fmt.Sprintf("invalid JSON at offset %d: unexpected %q %s", s.i, rune(c), what)}
}

func (s *scanner) run() error {
	s.ws()
	for {
		// A value starts at s.i.
		if s.i >= len(s.b) {
			return s.syntax("")
		}
		start := s.i
		switch c := s.b[s.i]; {
		case c == '{' || c == '[':
			if len(s.stack) >= MaxDepth {
				return &ContractError{Reason: fmt.Sprintf("JSON nesting exceeds %d levels at offset %d", MaxDepth, s.i)}
			}
			s.push(c == '{', start)
			s.i++
			s.ws()
			closer := byte(']')
			if c == '{' {
				closer = '}'
			}
			if s.i < len(s.b) && s.b[s.i] == closer {
				s.i++
				f := s.pop()
				more, err := s.after(f.start)
				if err != nil || !more {
					return err
				}
				continue
			}
			if c == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if _, err := s.str(); err != nil {
				return err
			}
		case c == 't':
			if err := s.lit("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := s.lit("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := s.lit("null"); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if err := s.num(); err != nil {
				return err
			}
		default:
			return s.syntax("where a value was expected")
		}
		more, err := s.after(start)
		if err != nil || !more {
			return err
		}
	}
}

// after handles what follows a complete value that began at start: it
// records top-level members, closes containers, and reports whether another
// value is expected at s.i.
func (s *scanner) after(start int) (bool, error) {
	for {
		end := s.i
		if len(s.stack) == 1 && s.stack[0].obj {
			f := &s.stack[0]
			s.members = append(s.members, member{key: f.keys[len(f.keys)-1], start: start, end: end})
		}
		s.ws()
		if len(s.stack) == 0 {
			if s.i != len(s.b) {
				return false, &ContractError{Reason: fmt.Sprintf("invalid JSON at offset %d: data after the top-level value", s.i)}
			}
			return false, nil
		}
		if s.i >= len(s.b) {
			return false, s.syntax("")
		}
		top := &s.stack[len(s.stack)-1]
		c := s.b[s.i]
		switch {
		case c == ',':
			s.i++
			s.ws()
			top.n++
			if top.obj {
				return true, s.key()
			}
			return true, nil
		case c == '}' && top.obj, c == ']' && !top.obj:
			s.i++
			f := s.pop()
			start = f.start
		default:
			return false, s.syntax("after a value")
		}
	}
}

func (s *scanner) push(obj bool, start int) {
	if len(s.stack) < cap(s.stack) {
		s.stack = s.stack[:len(s.stack)+1]
		f := &s.stack[len(s.stack)-1]
		f.obj, f.start, f.n, f.keys = obj, start, 0, f.keys[:0]
		clear(f.index)
		return
	}
	s.stack = append(s.stack, frame{obj: obj, start: start})
}

// pop closes the top container.
func (s *scanner) pop() frame {
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	return f
}

// key reads `"name" :` inside an object and rejects a duplicate name, which
// encoding/json would silently collapse to the last value.
func (s *scanner) key() error {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return s.syntax("where an object key was expected")
	}
	ks := s.i
	hasEsc, err := s.str()
	if err != nil {
		return err
	}
	k := keyRef{start: ks + 1, end: s.i - 1}
	if hasEsc {
		var v string
		if err := json.Unmarshal(s.b[ks:s.i], &v); err != nil {
			return &ContractError{Reason: fmt.Sprintf("invalid JSON at offset %d: bad object key", ks)}
		}
		k.esc = []byte(v)
	}
	top := &s.stack[len(s.stack)-1]
	if top.seen(s.b, k) {
		return &ContractError{Reason: fmt.Sprintf("duplicate key %q at %s", clip(k.bytes(s.b)), s.path(false))}
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return s.syntax("where ':' was expected")
	}
	s.i++
	s.ws()
	return nil
}

// path renders the JSON pointer of the value being scanned, clipped so a
// reason stays one short line. With withLastKey false the innermost object's
// current key is left out: that is the object a duplicate key was found in.
func (s *scanner) path(withLastKey bool) string {
	var b strings.Builder
	for i, f := range s.stack {
		if b.Len() > 120 {
			b.WriteString("/…")
			break
		}
		if f.obj {
			if len(f.keys) == 0 || (!withLastKey && i == len(s.stack)-1) {
				continue
			}
			b.WriteByte('/')
			k := string(f.keys[len(f.keys)-1].bytes(s.b))
			b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
		} else {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(f.n))
		}
	}
	if b.Len() == 0 {
		return "top level"
	}
	return b.String()
}

// str scans a string starting at its opening quote.
func (s *scanner) str() (hasEsc bool, err error) {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return hasEsc, nil
		case c == '\\':
			hasEsc = true
			if s.i+1 >= len(s.b) {
				s.i++
				return false, s.syntax("")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					s.i = len(s.b)
					return false, s.syntax("")
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						s.i += 2
						return false, s.syntax("in a \\u escape")
					}
				}
				s.i += 6
			default:
				s.i++
				return false, s.syntax("in a string escape")
			}
		case c < 0x20:
			return false, s.syntax("(control character) in a string")
		default:
			s.i++
		}
	}
	return false, s.syntax("")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) lit(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		for j := 0; j < len(word) && s.i < len(s.b) && s.b[s.i] == word[j]; j++ {
			s.i++
		}
		return s.syntax("in a literal")
	}
	s.i += len(word)
	return nil
}

// num scans a number with the JSON grammar and rejects integers that do not
// fit int64 (the vendor's id type; consumers in Java or JavaScript would lose
// precision) and numbers beyond float64.
func (s *scanner) num() error {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return s.syntax("")
	}
	switch c := s.b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return s.syntax("in a number")
	}
	isInt := true
	if s.i < len(s.b) && s.b[s.i] == '.' {
		isInt = false
		s.i++
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("in a number")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	hasExp := false
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		isInt, hasExp = false, true
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("in a number")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	lit := s.b[start:s.i]
	if isInt {
		if len(lit) > 18 {
			if _, err := strconv.ParseInt(string(lit), 10, 64); err != nil {
				return &ContractError{Reason: fmt.Sprintf("integer %s beyond int64 at %s", clip(lit), s.path(true))}
			}
		}
		return nil
	}
	if hasExp || len(lit) > 300 {
		if _, err := strconv.ParseFloat(string(lit), 64); err != nil {
			return &ContractError{Reason: fmt.Sprintf("number %s beyond float64 at %s", clip(lit), s.path(true))}
		}
	}
	return nil
}
