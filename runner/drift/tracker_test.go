package drift

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/internal/simulator/sample"
)

// derived is what the tests derive from a shape: its file form, which
// states every count, type and value of it, and its drift from a fixed
// baseline.
type derived struct {
	file  []byte
	drift []contract.Drift
}

var trackerBaseline = mustShape(`{"bizCode":"","code":"0","msg":"Success","ok":true,"fail":false,` +
	`"data":{"status":1,"list":[{"a":1,"type":"X"}],"name":"n"}}`)

func mustShape(body string) Shape {
	s, err := Infer([]byte(body))
	if err != nil {
		panic(err)
	}
	return s
}

func deriveForTest(s Shape) (derived, error) {
	return derived{Format(s), Diff("op", trackerBaseline, s)}, nil
}

// reference is what a run did before the Tracker: Infer, then derive.
func reference(body []byte) (derived, error) {
	s, err := Infer(body)
	if err != nil {
		return derived{}, err
	}
	return deriveForTest(s)
}

// observeAgrees fails t unless the Tracker's answer on body is the
// reference's: the same shape and drift, or the same error.
func observeAgrees(t *testing.T, tr *Tracker[derived], name string, body []byte) {
	t.Helper()
	got, gotErr := tr.Observe(body, deriveForTest)
	want, wantErr := reference(body)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%s: error %v, Infer's %v\nbody: %q", name, gotErr, wantErr, body)
	}
	if !bytes.Equal(got.file, want.file) {
		t.Fatalf("%s: shape\n%s\nInfer's\n%s\nbody: %q", name, got.file, want.file, body)
	}
	if !reflect.DeepEqual(got.drift, want.drift) {
		t.Fatalf("%s: drift %+v, Infer's %+v\nbody: %q", name, got.drift, want.drift, body)
	}
}

// trackerBodies are bodies that differ from each other in every way a
// Tracker could confuse: members reordered, missing, repeated, named "*"
// like array items, enum values added and dropped, types changed, bodies
// cut short, not objects, and the same body again.
var trackerBodies = []string{
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":1,"type":"X"},{"a":2,"type":"Y"}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":1,"type":"X"},{"a":2,"type":"Y"}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":7,"type":"Y"},{"a":9,"type":"X"}],"name":"other"}}`,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":7,"type":"Y"},{"a":9,"type":"X"},{"a":3,"type":"X"}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":7,"type":"Y"},{"a":9,"type":"X"},{"a":3,"type":"X","type":"Y"}],"name":"n"}}`,
	`{"ok":true,"code":"0","data":{"name":"n","list":[{"type":"X","a":1},{"a":2}],"status":1}}`,
	`{"code":"0","ok":true,"data":{"status":2,"list":[{"a":1,"type":"X"},{"a":null,"type":"Z"}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"status":"Active user","list":[],"name":null}}`,
	`{"code":"0","ok":true,"data":{"status":1,"status":"dup","list":[{"a":1,"a":"dup","*":true}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"*":{"type":"Q"},"list":[[1],["x"]],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"list":{"*":1}}}`,
	`{"code":"0","ok":true,"data":{"list":[1]}}`,
	`{"code":"0","ok":false,"data":{"list":[1]}}`,
	`{"code":"5","ok":false,"data":{"status":1}}`,
	`{"code":0,"ok":true,"data":{"status":1}}`,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":1,"type":"X"}`,
	`[{"code":"0"}]`,
	``,
	`{"code":"0","ok":true,"data":{"status":1,"list":[{"a":1,"type":"X"},{"a":2,"type":"Y"}],"name":"n"}}`,
	`{"code":"0","ok":true,"data":{"a/b":1,"c~d":{"e":[{"kycStatus":"A"},{"kycStatus":"B"}]}}}`,
	`{"code":"0","ok":true,"data":{"a/b":1,"c~d":{"e":[{"kycStatus":"B"},{"kycStatus":"A"}]}}}`,
	`{"code":"0","ok":true,"data":{"a/b":1,"c~d":{"e":[{"kycStatus":"A"},{"kycStatus":"A"}]}}}`,
}

// trackerTestBodies are the Tracker tests' bodies and fuzz corpora.
func trackerTestBodies(t *testing.T) [][]byte {
	var bodies [][]byte
	for _, b := range trackerBodies {
		bodies = append(bodies, []byte(b))
	}
	for _, dir := range []string{
		"testdata/fuzz/FuzzInfer",
		"testdata/fuzz/FuzzTracker",
		"testdata/fuzz/FuzzSchemaTracker",
		"../../internal/mmapi/testdata/fuzz/FuzzDecodeEnvelope",
		"../../internal/redact/testdata/fuzz/FuzzJSON",
	} {
		inputs := golden.CorpusInputs(t, dir)
		if len(inputs) == 0 {
			t.Fatalf("no corpus inputs in %s", dir)
		}
		bodies = append(bodies, inputs...)
	}
	return bodies
}

// Ensure a Tracker answers exactly what Infer followed by derive answers,
// response after response, whatever came before: on bodies chosen to
// confuse it, on the fuzz corpora of every package that reads vendor
// bodies, and on the simulator's real bodies, in order, reversed and each
// twice.
func TestTrackerMatchesInfer(t *testing.T) {
	bodies := trackerTestBodies(t)
	if !testing.Short() {
		for _, s := range sample.Bodies(t) {
			bodies = append(bodies, s.Body)
		}
	}
	tr := NewTracker[derived](Inferrer{})
	for i, b := range bodies {
		observeAgrees(t, tr, fmt.Sprintf("in order #%d", i), b)
	}
	for i := len(bodies) - 1; i >= 0; i-- {
		observeAgrees(t, tr, fmt.Sprintf("reversed #%d", i), bodies[i])
		observeAgrees(t, tr, fmt.Sprintf("again #%d", i), bodies[i])
	}
}

// Ensure a Tracker derives once per distinct shape in a row: a body whose
// values change but whose shape does not is not derived again, a new enum
// value or a new field is, and so is an error from derive (nothing of a
// failed derivation is kept).
func TestTrackerDerivesOncePerShape(t *testing.T) {
	tr := NewTracker[int](Inferrer{})
	calls := 0
	failNext := false
	derive := func(Shape) (int, error) {
		calls++
		if failNext {
			failNext = false
			return -1, errors.New("schema gone")
		}
		return calls, nil
	}
	steps := []struct {
		body      string
		wantCalls int
		want      int
		fail      bool
	}{
		{`{"ok":true,"code":"0","data":{"id":1,"status":"A"}}`, 1, 1, false},
		{`{"ok":true,"code":"0","data":{"id":1,"status":"A"}}`, 1, 1, false},
		{`{"code":"0","ok":true,"data":{"status":"A","id":99}}`, 1, 1, false}, // other values, other order: same shape
		{`{"ok":true,"code":"0","data":{"id":1,"status":"B"}}`, 2, 2, false},  // a new enum value
		{`{"ok":true,"code":"0","data":{"id":1,"status":"B","l":[1]}}`, 3, 3, false},
		{`{"ok":true,"code":"0","data":{"id":1,"status":"B","l":[1,2]}}`, 4, 4, false}, // counts alone
		{`{"ok":true,"code":"0","data":{"id":1,"status":"B","x":1}}`, 5, -1, true},
		{`{"ok":true,"code":"0","data":{"id":1,"status":"B","x":1}}`, 6, 6, false}, // the failure was not kept
		{`{"ok":true,"code":"0","data":{"id":1,"status":"A"}}`, 7, 7, false},       // only the last shape is kept
		{`{"ok":true,"code":"1","data":{"id":1,"status":"A"}}`, 8, 8, false},       // another success code
		{`{"ok":false,"code":"1","data":{"id":1,"status":"A"}}`, 9, 9, false},      // the same fields, no success code
	}
	for i, s := range steps {
		failNext = s.fail
		got, err := tr.Observe([]byte(s.body), derive)
		if (err != nil) != s.fail || got != s.want || calls != s.wantCalls {
			t.Fatalf("step %d: got %d, %v after %d derivations; want %d after %d", i, got, err, calls, s.want, s.wantCalls)
		}
	}
}

// Ensure a Tracker fed bodies keyed by ever new ids forgets what it learnt
// before it holds more than maxTrackedPointers times the per-body bound,
// and still answers as Infer does.
func TestTrackerForgets(t *testing.T) {
	in := Inferrer{MaxFields: 8}
	tr := NewTracker[derived](in)
	for i := range 100 {
		body := []byte(fmt.Sprintf(`{"code":"0","ok":true,"data":{"k%d":1,"k%d":2}}`, i, i+1000))
		got, err := tr.Observe(body, deriveForTest)
		s, wantErr := in.Infer(body)
		if err != nil || wantErr != nil {
			t.Fatalf("body %d: %v, %v", i, err, wantErr)
		}
		if want := Format(s); !bytes.Equal(got.file, want) {
			t.Fatalf("body %d: shape\n%s\nwant\n%s", i, got.file, want)
		}
		if n := len(tr.st.fields); n > maxTrackedPointers*8+4 {
			t.Fatalf("body %d: the Tracker remembers %d pointers", i, n)
		}
	}
}

// Ensure a Tracker agrees with Infer on any two bodies observed in turn
// (a, b, a, b: a hit, a miss, a body after a failed one). Seeds live in
// testdata/fuzz/FuzzTracker.
func FuzzTracker(f *testing.F) {
	for i := 0; i+1 < len(trackerBodies); i++ {
		f.Add([]byte(trackerBodies[i]), []byte(trackerBodies[i+1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		tr := NewTracker[derived](Inferrer{})
		for i, body := range [][]byte{a, a, b, a, b, b} {
			observeAgrees(t, tr, fmt.Sprintf("step %d", i), body)
		}
	})
}

// Ensure a Tracker shared by specs running in parallel answers each of
// them as Infer does (run with -race).
func TestTrackerConcurrent(t *testing.T) {
	tr := NewTracker[derived](Inferrer{})
	bodies := [][]byte{[]byte(trackerBodies[0]), []byte(trackerBodies[3]), []byte(trackerBodies[4])}
	want := make([]derived, len(bodies))
	for i, b := range bodies {
		var err error
		if want[i], err = reference(b); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 50 {
				k := (g + i) % len(bodies)
				got, err := tr.Observe(bodies[k], deriveForTest)
				if err == nil && !bytes.Equal(got.file, want[k].file) {
					err = fmt.Errorf("body %d: shape\n%s\nwant\n%s", k, got.file, want[k].file)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
