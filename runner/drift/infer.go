package drift

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/jsontok"
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

// acc accumulates one pointer during inference. An acc outlives one
// inference when its inferState does (a Tracker's): what it learnt of the
// pointer (its string, its members' order, its enum-ness by name) is kept,
// and what it counted is reset when an inference first touches it.
type acc struct {
	Field
	call     uint64 // the inference that last touched it: Field, enum and lastInst belong to that one
	lastInst int    // the object instance that last counted this member, to count duplicate keys once
	ptr      string // the pointer, the key of fields
	kids     *kids  // set once the pointer holds a list's items
	met      int    // objects met here over every inference of the state: a pointer met as an object twice caches its members

	// enumName is the last name this pointer was reached by and enumByName
	// what IsEnumKey said of it: a pointer is nearly always reached by one
	// name, and IsEnumKey lower-cases it.
	enumName   string
	enum       bool // the current inference records its values
	enumByName bool
	enumKnown  bool

	node *skelNode // the pointer's node when its operation's schema documents it

	// prev is the pointer's Field in the shape a Tracker last derived from,
	// valid when prevGen is that shape's generation.
	prev    Field
	prevGen uint64
}

// kids are the children of a pointer met so far, to skip hashing their
// pointers: members in the order of the first instance (the items of a list
// nearly always repeat it), and an array's item.
type kids struct {
	members []member
	item    *acc
}

type member struct {
	name string
	a    *acc
}

// maxMemberCache bounds acc.members: wider objects (maps keyed by id) are
// found through fields alone.
const maxMemberCache = 256

// frame is one open container.
type frame struct {
	object  bool
	discard bool   // inside the value of a duplicate member: parse, record nothing
	a       *acc   // the container's own pointer (nil when discarded)
	n       int    // objects: members read so far in this instance
	inst    int    // object instance number, to count duplicate members once
	name    []byte // member name of the container, inherited by array items for enum detection
}

// Infer builds the shape of one response body.
//
// It pulls tokens from the project's tokenizer (internal/jsontok) instead of
// encoding/json's Decoder.Token, which costs a reflective decode and several
// allocations per token (about 1 s and 14 bytes allocated per payload byte on
// a 10,000-item list). Nothing recurses, so memory is bounded by the
// distinct pointers and the nesting, not by the body, and a deeply nested
// body fails with ErrTooDeep instead of exhausting the stack. It accepts what
// encoding/json accepts (a repeated member counts once, the first
// occurrence wins); numbers without fraction or exponent are integers
// whatever their magnitude.
func (in Inferrer) Infer(body []byte) (Shape, error) {
	s, err := in.infer(body)
	if err != nil {
		return Shape{}, fmt.Errorf("infer shape: %w", err)
	}
	return s, nil
}

// tokenizers keeps Tokenizers, whose buffers grow to the deepest body seen,
// for reuse across responses.
var tokenizers = sync.Pool{New: func() any { return new(jsontok.Tokenizer) }}

// inferState is what inference knows of the pointers met: fresh for each
// Infer, kept across the responses of one operation by a Tracker, whose
// bodies repeat the same members in the same order.
type inferState struct {
	fields  map[string]*acc // every pointer met outside the skeleton, by pointer
	sk      *skeleton       // the operation's schema's pointers, or nil
	slots   []*acc          // the skeleton's pointers met, by node id
	slab    []acc           // where slots' accs are allocated, a chunk at a time
	root    acc
	call    uint64 // the current inference
	touched []*acc // the pointers the current inference met, in the order met

	// The envelope's ok and code, read on the way.
	rootCode     string
	haveRootCode bool
	rootOK       bool
}

func newInferState() *inferState {
	return &inferState{fields: map[string]*acc{}}
}

// newInferStateWith is newInferState for the responses of an operation
// whose schema's pointers are sk (nil for none): see skeleton.
func newInferStateWith(sk *skeleton) *inferState {
	if sk == nil {
		return newInferState()
	}
	// The map holds only the pointers the schema does not document: most
	// bodies have few or none.
	st := &inferState{fields: make(map[string]*acc), sk: sk, slots: make([]*acc, len(sk.nodes))}
	st.root.node = &sk.root
	st.touched = make([]*acc, 0, len(sk.nodes))
	return st
}

// nodeAcc is the acc of skeleton node n, made on its first meeting.
func (st *inferState) nodeAcc(in Inferrer, n *skelNode) *acc {
	if a := st.slots[n.id]; a != nil {
		return a
	}
	if len(st.slab) == cap(st.slab) {
		// The first chunk holds every node of a small skeleton, as a body
		// meets most of its schema's pointers; a chunk stays where it is,
		// as slots point into it.
		size := 32
		if st.slab == nil {
			size = min(max(len(st.slots), size), 256)
		}
		st.slab = make([]acc, 0, size)
	}
	byName := n.enumByName
	if len(in.EnumKeys) > 0 {
		byName = in.isEnumKey(n.enumName)
	}
	st.slab = append(st.slab, acc{ptr: n.ptr, node: n, enumName: n.enumName, enumByName: byName, enumKnown: true})
	a := &st.slab[len(st.slab)-1]
	st.slots[n.id] = a
	return a
}

func (in Inferrer) limits() (maxDepth, maxFields int) {
	maxDepth, maxFields = in.MaxDepth, in.MaxFields
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	return maxDepth, maxFields
}

// touch makes a the current inference's, resetting what an earlier one
// counted; name decides enum detection. A pointer beyond maxFields distinct
// pointers in this body is an error.
func (in Inferrer) touch(st *inferState, a *acc, name []byte, maxFields int) error {
	if a.call == st.call {
		return nil
	}
	if len(st.touched) >= maxFields {
		return fmt.Errorf("%w (more than %d)", ErrTooManyFields, maxFields)
	}
	if a.enumName != string(name) || !a.enumKnown {
		a.enumName, a.enumByName, a.enumKnown = string(name), in.isEnumKey(string(name)), true
	}
	a.call, a.lastInst, a.enum = st.call, 0, a.enumByName
	a.Field = Field{Values: a.Values[:0]}
	st.touched = append(st.touched, a)
	return nil
}

func (in Inferrer) infer(body []byte) (Shape, error) {
	st := newInferState()
	if err := in.inferInto(st, body); err != nil {
		return Shape{}, err
	}
	return st.shape(), nil
}

// inferInto infers body's shape into st: its touched pointers and envelope
// code afterwards.
func (in Inferrer) inferInto(st *inferState, body []byte) error {
	maxDepth, maxFields := in.limits()
	switch jsontok.KindOf(body) {
	case jsontok.BeginObject:
	case jsontok.Invalid: // empty, or no value: the tokenizer says which
	default:
		return ErrNotObject
	}
	t := tokenizers.Get().(*jsontok.Tokenizer)
	defer tokenizers.Put(t)
	opts := jsontok.Lenient
	opts.MaxDepth = maxDepth
	t.Reset(body, opts)
	if _, err := t.Next(); err != nil {
		return in.syntaxError(body, err, maxDepth)
	}

	st.call++
	st.touched = st.touched[:0]
	st.rootCode, st.haveRootCode, st.rootOK = "", false, false
	st.root.met++
	fields := st.fields
	var (
		buf   = make([]byte, 0, 128)
		stack = append(make([]frame, 0, 16), frame{object: true, inst: 1, a: &st.root})
		insts = 1

		// The member whose Key token was just read.
		name    []byte
		a       *acc
		discard bool
	)
	// lookup finds or adds the pointer parent.ptr + "/" + token (the
	// items of an array when item is set, token then being "*") and
	// touches it; name is the member name that decides enum detection. A
	// pointer the skeleton holds is found through its parent's node, or
	// failing that (a member named "*") by its pointer: one acc per
	// pointer either way.
	lookup := func(parent *acc, token, name []byte, item bool) (*acc, error) {
		var a *acc
		if n := parent.node; n != nil {
			c := n.item
			if !item {
				c = n.member(token)
			}
			if c != nil {
				a = st.nodeAcc(in, c)
			}
		}
		if a == nil {
			buf = append(append(buf[:0], parent.ptr...), '/')
			buf = jsontok.AppendPointerToken(buf, token)
			if a = fields[string(buf)]; a == nil && st.sk != nil {
				if c := st.sk.byPtr[string(buf)]; c != nil {
					a = st.nodeAcc(in, c)
				}
			}
			if a == nil {
				a = &acc{ptr: string(buf)}
				fields[a.ptr] = a
			}
		}
		return a, in.touch(st, a, name, maxFields)
	}
	star := []byte("*")
	var tok jsontok.Token
	for len(stack) > 0 {
		err := t.Read(&tok)
		if err != nil {
			return in.syntaxError(body, err, maxDepth)
		}
		top := &stack[len(stack)-1]
		switch tok.Kind {
		case jsontok.EndObject, jsontok.EndArray:
			stack = stack[:len(stack)-1]
			continue
		case jsontok.Key:
			name, a, discard = nil, nil, top.discard
			if !discard {
				name = t.Key() // stays valid while its object is open
				parent, i := top.a, top.n
				top.n++
				if k := parent.kids; k != nil && i < len(k.members) && k.members[i].name == string(name) {
					a = k.members[i].a
					if err = in.touch(st, a, name, maxFields); err != nil {
						return err
					}
				} else {
					if a, err = lookup(parent, name, name, false); err != nil {
						return err
					}
					// Only a pointer met as an object more than once (a
					// list's items, or any object of a Tracker's second
					// response) repeats its members; caching the others
					// would cost more than it saves.
					if parent.met > 1 && parent.kids == nil {
						parent.kids = &kids{}
						if n := parent.node; n != nil {
							parent.kids.members = make([]member, 0, min(len(n.names), maxMemberCache))
						}
					}
					if k := parent.kids; k != nil && i == len(k.members) && i < maxMemberCache {
						k.members = append(k.members, member{string(name), a})
					}
				}
				if a.lastInst == top.inst {
					discard = true // a repeated member: the first occurrence wins
				} else {
					a.lastInst = top.inst
					a.Seen++
				}
			}
			continue
		}

		// A value: of the member just named, or an array item.
		if !top.object {
			name, a, discard = nil, nil, top.discard
			if !discard {
				name = top.name
				if top.a.kids == nil {
					top.a.kids = &kids{}
				}
				if a = top.a.kids.item; a == nil {
					if a, err = lookup(top.a, star, name, true); err != nil {
						return err
					}
					top.a.kids.item = a
				} else if err = in.touch(st, a, name, maxFields); err != nil {
					return err
				}
				a.Seen++
			}
		}
		root := len(stack) == 1
		switch tok.Kind {
		case jsontok.BeginObject, jsontok.BeginArray:
			object := tok.Kind == jsontok.BeginObject
			f := frame{object: object, discard: discard, a: a, name: name}
			if !discard {
				if object {
					a.Types |= TypeSet(Object)
					a.Objects++
					a.met++
				} else {
					a.Types |= TypeSet(Array)
				}
			}
			if object {
				insts++
				f.inst = insts
			}
			stack = append(stack, f)
		case jsontok.String:
			if discard {
				break
			}
			a.Types |= TypeSet(String)
			if !a.enum && !(root && string(name) == "code") {
				break
			}
			v := t.Unquote(tok)
			if a.enum {
				a.record(v)
			}
			if root && string(name) == "code" {
				st.rootCode, st.haveRootCode = string(v), true
			}
		case jsontok.Number:
			if discard {
				break
			}
			if !tok.Integer {
				a.Types |= TypeSet(Number)
				break
			}
			a.Types |= TypeSet(Integer)
			if a.enum {
				a.record(tok.Raw)
			}
			if root && string(name) == "code" {
				st.rootCode, st.haveRootCode = string(tok.Raw), true
			}
		case jsontok.Null:
			if !discard {
				a.Types |= TypeSet(Null)
			}
		case jsontok.Bool:
			if discard {
				break
			}
			a.Types |= TypeSet(Boolean)
			if root && string(name) == "ok" {
				st.rootOK = tok.Raw[0] == 't'
			}
		}
	}
	if _, err := t.Next(); err != io.EOF {
		return in.syntaxError(body, err, maxDepth)
	}
	return nil
}

// shape is the Shape of the current inference.
func (st *inferState) shape() Shape {
	s := Shape{Samples: 1, Fields: make(map[string]Field, len(st.touched))}
	for _, a := range st.touched {
		f := a.Field
		f.Values = sortedValues(f.Values) // a copy: the acc's own slice is reused
		s.Fields[a.ptr] = f
	}
	s.OKCodes = st.okCodes()
	return s
}

// okCode is the current inference's success code, if it has one: its
// Shape.OKCodes.
func (st *inferState) okCode() (string, bool) {
	return st.rootCode, st.rootOK && st.haveRootCode && codeLike(st.rootCode)
}

func (st *inferState) okCodes() []string {
	if code, ok := st.okCode(); ok {
		return []string{code}
	}
	return nil
}

// syntaxError restates a tokenizer error in encoding/json's words, which
// Infer's callers have always seen.
func (in Inferrer) syntaxError(body []byte, err error, maxDepth int) error {
	var e *jsontok.Error
	if !errors.As(err, &e) {
		return err
	}
	invalid := func(off int, context string) error {
		return fmt.Errorf("invalid character %q %s at offset %d", rune(body[off]), context, off)
	}
	switch e.Code {
	case jsontok.UnexpectedEOF:
		return io.ErrUnexpectedEOF
	case jsontok.TooDeep:
		return fmt.Errorf("%w (more than %d levels)", ErrTooDeep, maxDepth)
	case jsontok.TrailingData:
		return fmt.Errorf("unexpected data after the JSON object at offset %d", e.Offset)
	case jsontok.BadEscape, jsontok.BadUnicodeEscape:
		return fmt.Errorf("invalid string at offset %d: %w", e.Start, e)
	case jsontok.BadLiteral:
		return invalid(e.Start, "looking for beginning of value")
	}
	if context, ok := inferContext[e.Code]; ok {
		return invalid(e.Offset, context)
	}
	return err
}

var inferContext = map[jsontok.Code]string{
	jsontok.ValueExpected: "looking for beginning of value",
	jsontok.AfterValue:    "after value",
	jsontok.KeyExpected:   "looking for beginning of object key string",
	jsontok.ColonExpected: "after object key",
	jsontok.ControlChar:   "in string literal",
	jsontok.BadNumber:     "in numeric literal",
	jsontok.BadFraction:   "after decimal point in numeric literal",
	jsontok.BadExponent:   "in exponent of numeric literal",
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
	// A Tracker's pointer nearly always sees the values it saw last time:
	// share their strings instead of allocating.
	for _, x := range a.prev.Values {
		if x == string(v) {
			a.Values = append(a.Values, x)
			return
		}
	}
	a.Values = append(a.Values, string(v))
}
