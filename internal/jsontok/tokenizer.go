package jsontok

import (
	"bytes"
	"hash/maphash"
	"io"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxDepth is the deepest nesting a Tokenizer accepts when
// Options.MaxDepth is 0. The vendor's deepest documented payload is a
// handful of levels; consumers that recurse over a decoded body rely on it.
const DefaultMaxDepth = 128

// Kind is the kind of a token.
type Kind uint8

// Token kinds. A Key token precedes each object member's value.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Key
	BeginObject
	EndObject
	BeginArray
	EndArray
)

var kindNames = [...]string{
	Invalid:     "invalid",
	Null:        "null",
	Bool:        "boolean",
	Number:      "number",
	String:      "string",
	Key:         "key",
	BeginObject: "object",
	EndObject:   "end of object",
	BeginArray:  "array",
	EndArray:    "end of array",
}

// String names the kind; a value's kind is named by its JSON type
// ("object", "array", "string", "number", "boolean", "null").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Token is one JSON token. Raw is a sub-slice of the input: a string or key
// with its quotes and escapes, a number or literal as written, or the one
// bracket of a container's start or end. Treat it as read-only.
type Token struct {
	Kind Kind
	// Escaped reports, for String and Key, that Raw holds a backslash
	// escape, so its value differs from the bytes between the quotes.
	Escaped bool
	// Integer reports, for Number, that the literal has no fraction and no
	// exponent.
	Integer bool
	// Depth counts the containers enclosing the token: 0 for the top-level
	// value (and its closing bracket), 1 for the keys and values inside it.
	Depth int
	// Start is the offset of Raw in the input.
	Start int
	Raw   []byte
}

// set fills every field in place: faster than storing a composite
// literal through the pointer.
func (t *Token) set(kind Kind, esc, integer bool, depth, start int, raw []byte) {
	t.Kind, t.Escaped, t.Integer, t.Depth, t.Start, t.Raw = kind, esc, integer, depth, start, raw
}

// End is the offset just past the token.
func (t Token) End() int { return t.Start + len(t.Raw) }

// Options relax the Tokenizer's rules. The zero value is strict.
type Options struct {
	// MaxDepth bounds the open containers; 0 means DefaultMaxDepth.
	MaxDepth int
	// AllowDuplicateKeys accepts an object that repeats a key, as
	// encoding/json does (it keeps the last value; consumers decide).
	AllowDuplicateKeys bool
	// AllowInvalidUTF8 accepts invalid UTF-8 inside strings; Unquote and
	// AppendUnquoted turn each invalid byte into U+FFFD, as encoding/json does.
	AllowInvalidUTF8 bool
	// AllowAnyNumber accepts integers beyond int64 and numbers beyond
	// float64.
	AllowAnyNumber bool
}

// Lenient are the rules of encoding/json's Valid: duplicate keys, invalid
// UTF-8 and any number accepted, at most 10,000 open containers.
var Lenient = Options{MaxDepth: 10000, AllowDuplicateKeys: true, AllowInvalidUTF8: true, AllowAnyNumber: true}

type state uint8

const (
	stStart    state = iota // the top-level value is expected
	stValue                 // a value is expected (after ':' or an array's ',')
	stObjFirst              // after '{': a key or '}'
	stArrFirst              // after '[': a value or ']'
	stAfter                 // after a value: ',', a closing bracket or the end
	stDone                  // io.EOF returned
)

// keyRef locates an unescaped key: in the input, or in the arena when the
// raw key holds escapes (so "a" and "\u0061" compare equal).
type keyRef struct {
	start, end int
	arena      bool
	tag        uint32 // keyTag of the key, so that the duplicate check compares bytes only on a likely match
}

// keyTag summarises a key in a word: its length and three of its bytes.
// Two keys with different tags differ; most distinct keys of one object
// (an object's names differ in length or at an end) have different tags.
func keyTag(k []byte) uint32 {
	n := len(k)
	if n == 0 {
		return 0
	}
	return uint32(n)&0xff | uint32(k[0])<<8 | uint32(k[n/2])<<16 | uint32(k[n-1])<<24
}

type frame struct {
	obj       bool
	hasKey    bool   // objects: key holds the current member's name
	elem      int    // arrays: index of the current element, -1 before the first
	key       keyRef // objects: the current member's name
	arenaMark int    // arena length when the container opened
	keys      []keyRef
	index     map[uint64]int
}

// Tokenizer pulls tokens from a JSON text held in memory. The zero value is
// ready for Reset. A Tokenizer is not safe for concurrent use; reusing one
// with Reset keeps its buffers, so a steady stream of bodies allocates
// nothing.
type Tokenizer struct {
	b        []byte
	i        int
	state    state
	maxDepth int
	opts     Options
	stack    []frame
	arena    []byte // unescaped keys of the open objects
	last     keyRef // the most recent Key token's name
	scratch  []byte // Unquote's buffer
	err      error
}

// New returns a Tokenizer over b.
func New(b []byte, opts Options) *Tokenizer {
	t := &Tokenizer{}
	t.Reset(b, opts)
	return t
}

// Reset starts tokenizing b, keeping the Tokenizer's buffers.
func (t *Tokenizer) Reset(b []byte, opts Options) {
	t.b, t.i, t.state, t.opts, t.err = b, 0, stStart, opts, nil
	t.maxDepth = opts.MaxDepth
	if t.maxDepth <= 0 {
		t.maxDepth = DefaultMaxDepth
	}
	t.stack = t.stack[:0]
	t.arena = t.arena[:0]
}

// Depth is the number of open containers.
func (t *Tokenizer) Depth() int { return len(t.stack) }

// Offset is where the next token's scan begins (whitespace included).
func (t *Tokenizer) Offset() int { return t.i }

// Input is the text being tokenized.
func (t *Tokenizer) Input() []byte { return t.b }

// Next returns the next token. After the top-level value and any trailing
// whitespace it returns io.EOF; any other error is an *Error, and Next keeps
// returning it.
func (t *Tokenizer) Next() (Token, error) {
	var tok Token
	err := t.Read(&tok)
	return tok, err
}

// Read is Next for hot loops: it stores the next token in *tok (left as it
// was on an error), which saves copying a token per call.
func (t *Tokenizer) Read(tok *Token) error {
	if t.err != nil {
		return t.err
	}
	b := t.b
	i := skipWS(b, t.i)
	switch t.state {
	case stAfter:
		if len(t.stack) == 0 {
			if i == len(b) {
				t.i, t.state = i, stDone
				return io.EOF
			}
			return t.fail(TrailingData, i, i)
		}
		if i >= len(b) {
			return t.fail(UnexpectedEOF, i, i)
		}
		top := &t.stack[len(t.stack)-1]
		switch c := b[i]; {
		case c == ',':
			i = skipWS(b, i+1)
			if top.obj {
				return t.key(tok, i)
			}
			return t.value(tok, i)
		case c == '}' && top.obj, c == ']' && !top.obj:
			return t.close(tok, i)
		}
		return t.fail(AfterValue, i, i)
	case stObjFirst:
		if i < len(b) && b[i] == '}' {
			return t.close(tok, i)
		}
		return t.key(tok, i)
	case stArrFirst:
		if i < len(b) && b[i] == ']' {
			return t.close(tok, i)
		}
		return t.value(tok, i)
	case stValue:
		return t.value(tok, i)
	case stStart:
		if !t.opts.AllowInvalidUTF8 && !utf8.Valid(b) {
			off := 0
			for off < len(b) {
				r, size := utf8.DecodeRune(b[off:])
				if r == utf8.RuneError && size <= 1 {
					break
				}
				off += size
			}
			return t.fail(InvalidUTF8, off, off)
		}
		return t.value(tok, i)
	}
	return io.EOF
}

// Skip consumes the rest of the value tok began and returns the offset just
// past it: for BeginObject or BeginArray (the token Next just returned) it
// reads, and checks, everything up to the matching closing bracket; for any
// other token it reads nothing.
func (t *Tokenizer) Skip(tok Token) (end int, err error) {
	if tok.Kind != BeginObject && tok.Kind != BeginArray {
		return tok.End(), nil
	}
	var next Token
	for {
		err := t.Read(&next)
		if err != nil {
			if err == io.EOF {
				err = t.fail(UnexpectedEOF, t.i, t.i)
			}
			return 0, err
		}
		if next.Depth == tok.Depth && (next.Kind == EndObject || next.Kind == EndArray) {
			return next.End(), nil
		}
	}
}

// value reads the value starting at b[i].
func (t *Tokenizer) value(tok *Token, i int) error {
	b := t.b
	if i >= len(b) {
		return t.fail(UnexpectedEOF, i, i)
	}
	depth := len(t.stack)
	if depth > 0 {
		if top := &t.stack[depth-1]; !top.obj {
			top.elem++
		}
	}
	switch c := b[i]; c {
	case '{', '[':
		if depth >= t.maxDepth {
			return t.fail(TooDeep, i, i)
		}
		t.push(c == '{')
		t.i = i + 1
		kind := BeginArray
		t.state = stArrFirst
		if c == '{' {
			kind, t.state = BeginObject, stObjFirst
		}
		tok.set(kind, false, false, depth, i, b[i:i+1])
		return nil
	case '"':
		end, esc, _, err := t.str(i)
		if err != nil {
			return err
		}
		t.i, t.state = end, stAfter
		tok.set(String, esc, false, depth, i, b[i:end])
		return nil
	case 't':
		return t.lit(tok, i, "true", Bool)
	case 'f':
		return t.lit(tok, i, "false", Bool)
	case 'n':
		return t.lit(tok, i, "null", Null)
	}
	if c := b[i]; c == '-' || (c >= '0' && c <= '9') {
		return t.num(tok, i)
	}
	return t.fail(ValueExpected, i, i)
}

// close reads the closing bracket at b[i].
func (t *Tokenizer) close(tok *Token, i int) error {
	f := &t.stack[len(t.stack)-1]
	kind := EndArray
	if f.obj {
		kind = EndObject
	}
	t.arena = t.arena[:f.arenaMark]
	t.stack = t.stack[:len(t.stack)-1]
	t.i, t.state = i+1, stAfter
	tok.set(kind, false, false, len(t.stack), i, t.b[i:i+1])
	return nil
}

func (t *Tokenizer) push(obj bool) {
	if len(t.stack) < cap(t.stack) {
		t.stack = t.stack[:len(t.stack)+1]
		f := &t.stack[len(t.stack)-1]
		f.obj, f.hasKey, f.elem, f.arenaMark, f.keys = obj, false, -1, len(t.arena), f.keys[:0]
		clear(f.index)
		return
	}
	t.stack = append(t.stack, frame{obj: obj, elem: -1, arenaMark: len(t.arena)})
}

// key reads `"name" :` at b[i] and rejects a repeated name, which
// encoding/json would silently collapse to the last value.
func (t *Tokenizer) key(tok *Token, i int) error {
	b := t.b
	if i >= len(b) {
		return t.fail(UnexpectedEOF, i, i)
	}
	if b[i] != '"' {
		return t.fail(KeyExpected, i, i)
	}
	end, esc, high, err := t.str(i)
	if err != nil {
		return err
	}
	k := keyRef{start: i + 1, end: end - 1}
	if esc || (high && !utf8.Valid(b[i+1:end-1])) {
		n := len(t.arena)
		t.arena = AppendUnquoted(t.arena, b[i:end])
		k = keyRef{start: n, end: len(t.arena), arena: true}
	}
	top := &t.stack[len(t.stack)-1]
	if !t.opts.AllowDuplicateKeys && t.seen(top, k) {
		t.last = k
		return t.fail(DuplicateKey, i, i)
	}
	top.key, top.hasKey, t.last = k, true, k
	j := end
	if j < len(b) && b[j] != ':' {
		j = skipWS(b, j)
	}
	if j >= len(b) {
		return t.fail(UnexpectedEOF, j, j)
	}
	if b[j] != ':' {
		return t.fail(ColonExpected, j, j)
	}
	j++
	if j < len(b) && b[j] > ' ' {
		t.i = j // the common "name":value, with nothing to skip
	} else {
		t.i = skipWS(b, j)
	}
	t.state = stValue
	tok.set(Key, esc, false, len(t.stack), i, b[i:end])
	return nil
}

func (t *Tokenizer) ref(k keyRef) []byte {
	if k.arena {
		return t.arena[k.start:k.end]
	}
	return t.b[k.start:k.end]
}

// Key returns the name of the most recent Key token, unescaped as
// encoding/json does: a sub-slice of the input when the key has no escapes
// (and is valid UTF-8), else of a buffer the Tokenizer reuses. It is valid
// until the next call to Next, and stays so while the key's object is open.
func (t *Tokenizer) Key() []byte { return t.ref(t.last) }

// Unquote returns the value of a String or Key token, unescaped as
// encoding/json does: a sub-slice of the input when the literal has no
// escapes (and is valid UTF-8), else of a buffer the Tokenizer reuses, valid
// until the next call to Unquote.
func (t *Tokenizer) Unquote(tok Token) []byte {
	inner := tok.Raw[1 : len(tok.Raw)-1]
	if !tok.Escaped && (!t.opts.AllowInvalidUTF8 || utf8.Valid(inner)) {
		return inner
	}
	t.scratch = AppendUnquoted(t.scratch[:0], tok.Raw)
	return t.scratch
}

// seen records k in the object f and reports whether it was already there.
// Small objects compare linearly; wide ones index keys by hash so a hostile
// million-key object stays linear without allocating a string per key.
func (t *Tokenizer) seen(f *frame, k keyRef) bool {
	kb := t.ref(k)
	const linear = 64
	if len(f.keys) < linear {
		k.tag = keyTag(kb)
		for _, prev := range f.keys {
			if prev.tag == k.tag && bytes.Equal(t.ref(prev), kb) {
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
			f.index[maphash.Bytes(hashSeed, t.ref(prev))] = i
		}
	}
	h := maphash.Bytes(hashSeed, kb)
	if i, ok := f.index[h]; ok {
		if bytes.Equal(t.ref(f.keys[i]), kb) {
			return true
		}
		// A hash collision: settle it exactly.
		for _, prev := range f.keys {
			if bytes.Equal(t.ref(prev), kb) {
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

// AppendPointer appends the JSON pointer (RFC 6901) of the most recent
// token: a value's own location, a key's member, a container's location for
// its brackets. The top-level value's pointer is empty.
func (t *Tokenizer) AppendPointer(dst []byte) []byte {
	return t.appendPointer(dst, len(t.stack), 0)
}

// appendPointer renders the first n frames; with clip > 0 it stops with
// "/…" once the pointer is longer than clip bytes and shortens long
// segments, so an error message stays one short line.
func (t *Tokenizer) appendPointer(dst []byte, n, clip int) []byte {
	start := len(dst)
	for _, f := range t.stack[:n] {
		if clip > 0 && len(dst)-start > clip {
			return append(dst, "/…"...)
		}
		switch {
		case f.obj && f.hasKey:
			dst = append(dst, '/')
			seg := t.ref(f.key)
			if clip > 0 && len(seg) > 32 {
				dst = AppendPointerToken(dst, seg[:32])
				dst = append(dst, "…"...)
				continue
			}
			dst = AppendPointerToken(dst, seg)
		case !f.obj && f.elem >= 0:
			dst = append(dst, '/')
			dst = strconv.AppendInt(dst, int64(f.elem), 10)
		}
	}
	return dst
}

// AppendPointerToken appends key escaped as a JSON pointer reference token
// ("~" as "~0", "/" as "~1"), without allocating.
func AppendPointerToken(dst, key []byte) []byte {
	for _, c := range key {
		switch c {
		case '~':
			dst = append(dst, '~', '0')
		case '/':
			dst = append(dst, '~', '1')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainString marks the bytes a string can hold without a closer look: not
// the quote, the backslash or a control character.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainASCII is plainString without the bytes of multi-byte UTF-8, for
// texts not known to be valid UTF-8.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string starting with the quote at b[i] and returns the
// offset just past its closing quote. When the text is not known to be
// valid UTF-8, high reports a byte beyond ASCII.
func (t *Tokenizer) str(i int) (end int, esc, high bool, err error) {
	b := t.b
	plain := &plainString
	if t.opts.AllowInvalidUTF8 {
		plain = &plainASCII
	}
	j := i + 1
	for {
		for j < len(b) && plain[b[j]] {
			j++
		}
		if j >= len(b) {
			err := t.fail(UnexpectedEOF, len(b), i)
			return 0, false, false, err
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, esc, high, nil
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				err := t.fail(UnexpectedEOF, len(b), i)
				return 0, false, false, err
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					err := t.fail(UnexpectedEOF, len(b), i)
					return 0, false, false, err
				}
				for _, h := range b[j+2 : j+6] {
					if !isHex(h) {
						// Offset names the escape's first hex digit.
						err := t.fail(BadUnicodeEscape, j+2, i)
						return 0, false, false, err
					}
				}
				j += 6
			default:
				err := t.fail(BadEscape, j+1, i)
				return 0, false, false, err
			}
		case c >= utf8.RuneSelf:
			high = true
			j++
		default: // a control character
			err := t.fail(ControlChar, j, i)
			return 0, false, false, err
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (t *Tokenizer) lit(tok *Token, i int, word string, kind Kind) error {
	b := t.b
	if len(b)-i >= len(word) && string(b[i:i+len(word)]) == word {
		end := i + len(word)
		t.i, t.state = end, stAfter
		tok.set(kind, false, false, len(t.stack), i, b[i:end])
		return nil
	}
	j := i
	for k := 0; k < len(word) && j < len(b) && b[j] == word[k]; k++ {
		j++
	}
	if j >= len(b) {
		return t.fail(UnexpectedEOF, j, i)
	}
	return t.fail(BadLiteral, j, i)
}

// num scans a number with the JSON grammar and, unless AllowAnyNumber,
// rejects integers that do not fit int64 (the vendor's id type; consumers in
// Java or JavaScript would lose precision) and numbers beyond float64.
func (t *Tokenizer) num(tok *Token, start int) error {
	b := t.b
	i := start
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return t.fail(UnexpectedEOF, i, start)
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return t.fail(BadNumber, i, start)
	}
	isInt := true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) {
			return t.fail(UnexpectedEOF, i, start)
		}
		if !isDigit(b[i]) {
			return t.fail(BadFraction, i, start)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	hasExp := false
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt, hasExp = false, true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return t.fail(UnexpectedEOF, i, start)
		}
		if !isDigit(b[i]) {
			return t.fail(BadExponent, i, start)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	lit := b[start:i]
	if !t.opts.AllowAnyNumber {
		if isInt && len(lit) > 18 {
			if _, err := strconv.ParseInt(string(lit), 10, 64); err != nil {
				return t.fail(IntRange, start, start)
			}
		}
		if !isInt && (hasExp || len(lit) > 300) {
			if _, err := strconv.ParseFloat(string(lit), 64); err != nil {
				return t.fail(FloatRange, start, start)
			}
		}
	}
	t.i, t.state = i, stAfter
	tok.set(Number, false, isInt, len(t.stack), start, lit)
	return nil
}
