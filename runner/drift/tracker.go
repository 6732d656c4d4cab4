package drift

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// Tracker infers the shapes of one operation's responses, one after another,
// and derives from each what its caller records of it (a run: the formatted
// shape and its drift). It is what a run does per response, made cheap for
// the responses after the first:
//
//   - it keeps what inference learnt of earlier responses (each pointer's
//     string, the order of its members, whether its name is enum-like), so a
//     body whose members repeat costs one scan of its tokens, with no
//     pointer built, hashed or allocated;
//   - when a body's shape equals the last shape it derived from (the common
//     case: the same operation answering with the same fields), it returns
//     that derivation instead of building the Shape and deriving again. The
//     derivation must therefore depend on the shape alone (the baseline and
//     the schema are fixed for a run).
//
// Its results are exactly Infer's followed by derive; the tests hold it to
// that on every simulator response and on the fuzz corpus. It is safe for
// concurrent use: one response is inferred at a time.
type Tracker[T any] struct {
	in Inferrer
	sk *skeleton // the operation's schema's pointers, or nil

	mu sync.Mutex
	st *inferState
	// gen numbers the shapes derived from; 0 means none yet. The last one
	// is described by the pointers' prev Fields of that generation, n of
	// them, and its envelope code.
	gen    uint64
	n      int
	okCode string
	hasOK  bool
	last   T
}

// NewTracker returns a Tracker that infers with in.
func NewTracker[T any](in Inferrer) *Tracker[T] {
	return &Tracker[T]{in: in, st: newInferState()}
}

// NewSchemaTracker returns a Tracker that infers with in the responses of
// an operation whose data schema is schema: the pointers the schema
// documents are known before its first response (see skeleton), so that
// response costs about what a later one does.
func NewSchemaTracker[T any](in Inferrer, schema *Schema) *Tracker[T] {
	sk := schema.skeleton()
	return &Tracker[T]{in: in, sk: sk, st: newInferStateWith(sk)}
}

// maxTrackedPointers bounds the pointers a Tracker remembers, as a multiple
// of the per-body bound: a map-like object keyed by ever new ids would
// otherwise grow it without end over a long run. Past it the Tracker starts
// afresh.
const maxTrackedPointers = 4

// Observe infers body's shape, as Infer does, and returns derive(shape), or
// what derive returned for the last shape it derived from when body's shape
// equals that one. An inference error is returned as Infer returns it; an
// error from derive is returned with what derive returned, and nothing of
// that call is kept. derive runs under the Tracker's lock.
func (t *Tracker[T]) Observe(body []byte, derive func(Shape) (T, error)) (T, error) {
	return t.ObserveInferred(body, func(x *Inferred) (T, error) { return derive(x.Shape()) })
}

// ObserveInferred is Observe for a derivation that reads the inference
// through an Inferred, which formats and diffs it without building a Shape.
func (t *Tracker[T]) ObserveInferred(body []byte, derive func(*Inferred) (T, error)) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, maxFields := t.in.limits(); len(t.st.fields) > maxTrackedPointers*maxFields {
		t.st, t.gen = newInferStateWith(t.sk), 0
	}
	var zero T
	if err := t.in.inferInto(t.st, body); err != nil {
		return zero, fmt.Errorf("infer shape: %w", err)
	}
	if t.sameAsLast() {
		return t.last, nil
	}
	x := &Inferred{st: t.st}
	v, err := derive(x)
	if err != nil {
		return v, err
	}
	t.gen++
	for _, a := range t.st.touched {
		// What the shape's Field is: the values sorted, in a slice of
		// its own (the acc's is reused).
		a.prev, a.prevGen = a.Field, t.gen
		a.prev.Values = sortedValues(a.Values)
	}
	t.n, t.last = len(t.st.touched), v
	t.okCode, t.hasOK = t.st.okCode()
	return v, nil
}

// sameAsLast reports whether the shape just inferred equals the last one
// derived from: the same pointers, each with the same Field, and the same
// success code.
func (t *Tracker[T]) sameAsLast() bool {
	st := t.st
	if t.gen == 0 || len(st.touched) != t.n {
		return false
	}
	if code, ok := st.okCode(); ok != t.hasOK || code != t.okCode {
		return false
	}
	for _, a := range st.touched {
		if a.prevGen != t.gen || !sameField(a.Field, a.prev) {
			return false
		}
	}
	return true
}

// sameField reports whether an inference's Field (values in the order met,
// each once) equals a shape's (values sorted).
func sameField(f, shaped Field) bool {
	if f.Types != shaped.Types || f.Seen != shaped.Seen || f.Objects != shaped.Objects ||
		f.ValuesDropped != shaped.ValuesDropped || len(f.Values) != len(shaped.Values) {
		return false
	}
	for _, v := range f.Values {
		if !containsValue(shaped.Values, v) {
			return false
		}
	}
	return true
}

// Inferred is one body's inference as a Tracker holds it while deriving
// from it: valid only during the derivation.
type Inferred struct {
	st     *inferState
	sorted []*acc
	shape  *Shape
}

// Shape is the body's Shape, as Infer returns it.
func (x *Inferred) Shape() Shape {
	if x.shape == nil {
		s := x.st.shape()
		x.shape = &s
	}
	return *x.shape
}

// pointers is the pointers met, in sorted order: the skeleton's in the
// order it holds them, merged with the others, sorted.
func (x *Inferred) pointers() []*acc {
	if x.sorted != nil {
		return x.sorted
	}
	st := x.st
	var extras []*acc
	for _, a := range st.touched {
		if a.node == nil {
			extras = append(extras, a)
		}
	}
	slices.SortFunc(extras, func(a, b *acc) int { return strings.Compare(a.ptr, b.ptr) })
	out := make([]*acc, 0, len(st.touched))
	if sk := st.sk; sk != nil && len(extras) < len(st.touched) {
		for _, n := range sk.byRank {
			a := st.slots[n.id]
			if a == nil || a.call != st.call {
				continue
			}
			for len(extras) > 0 && extras[0].ptr < a.ptr {
				out, extras = append(out, extras[0]), extras[1:]
			}
			out = append(out, a)
		}
	}
	x.sorted = append(out, extras...)
	return x.sorted
}

// Format is Format(x.Shape()).
func (x *Inferred) Format() []byte {
	ptrs := x.pointers()
	return formatFields(len(ptrs), func(i int) (string, Field) { return ptrs[i].ptr, ptrs[i].Field },
		x.st.okCodes(), 1)
}

// DiffSchema is s.Diff(operation, x.Shape()).
func (x *Inferred) DiffSchema(operation string, s *Schema) []contract.Drift {
	ptrs := x.pointers()
	viaNodes := x.st.sk != nil && x.st.sk == s.skeleton() // else the nodes, if any, are another schema's
	return s.diffEach(operation, len(ptrs), viaNodes, func(i int) (string, Field, *skelNode) {
		a, node := ptrs[i], ptrs[i].node
		if !viaNodes {
			node = nil
		}
		return a.ptr, a.Field, node
	})
}
