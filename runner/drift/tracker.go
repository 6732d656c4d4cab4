package drift

import (
	"fmt"
	"sync"
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, maxFields := t.in.limits(); len(t.st.fields) > maxTrackedPointers*maxFields {
		t.st, t.gen = newInferState(), 0
	}
	var zero T
	if err := t.in.inferInto(t.st, body); err != nil {
		return zero, fmt.Errorf("infer shape: %w", err)
	}
	if t.sameAsLast() {
		return t.last, nil
	}
	shape := t.st.shape()
	v, err := derive(shape)
	if err != nil {
		return v, err
	}
	t.gen++
	for _, a := range t.st.touched {
		a.prev, a.prevGen = shape.Fields[a.ptr], t.gen
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
