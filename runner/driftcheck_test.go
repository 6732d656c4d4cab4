package runner

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/runner/drift"
)

// Ensure the run's drift check answers, response after response, exactly
// what inferring, formatting and diffing each response afresh answers (the
// path before each operation had a drift.Tracker), against the schema and
// against a baseline, on every read-only client operation the simulator
// answers, each answered twice.
func TestDriftCheckMatchesFreshInference(t *testing.T) {
	env, ops, _ := responsePathEnv(t)
	client := env.Client
	bySchema, err := newDriftChecker(env.Schemas, "")
	if err != nil {
		t.Fatal(err)
	}
	byBaseline, err := newDriftChecker(env.Schemas, "")
	if err != nil {
		t.Fatal(err)
	}
	// Every operation's baseline is the first operation's shape: drift of
	// every kind.
	var first drift.Shape
	checked := 0
	for _, op := range ops {
		if !op.ReadOnly {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ex, err := client.CallWith(ctx, mmapi.Operation{Family: mmapi.Family(op.Family), BizType: op.BizType, Version: op.Version,
			Group: op.Group, Path: op.Path}, map[string]any{}, mmapi.CallOptions{})
		cancel()
		if ex == nil {
			t.Fatalf("%s: no response: %v", op.BizType, err)
		}
		shape, err := drift.Infer(ex.Body)
		if err != nil {
			t.Fatalf("%s: %v", op.BizType, err)
		}
		if first.Fields == nil {
			first = shape
		}
		key := drift.Key(op.Family, op.BizType)
		byBaseline.baselines[key] = first
		schema, _ := env.Schemas.DataSchema(op.Family, op.BizType)
		wantSchema, err := drift.DiffSchema(op.BizType, schema, shape) // a parse of its own: no skeleton
		if err != nil {
			t.Fatal(err)
		}
		want := map[*driftCheck][]contract.Drift{bySchema: wantSchema, byBaseline: drift.Diff(op.BizType, first, shape)}
		for _, d := range []*driftCheck{bySchema, byBaseline} {
			for range 2 {
				raw, ds, err := d.Check(op.Family, op.BizType, ex.Body)
				if err != nil {
					t.Fatalf("%s: %v", op.BizType, err)
				}
				if !bytes.Equal(raw, drift.Format(shape)) {
					t.Fatalf("%s: recorded shape\n%s\nwant\n%s", op.BizType, raw, drift.Format(shape))
				}
				if !reflect.DeepEqual(ds, want[d]) {
					t.Fatalf("%s: drift %+v, want %+v", op.BizType, ds, want[d])
				}
				if len(ds) > 0 {
					ds[0].Pointer = "/changed by the caller" // the next answer must not see it
				}
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d read-only operations checked", checked)
	}
	t.Logf("%d operations checked", checked)
}

// forgetResponses makes every operation's next response its first again,
// its schema still parsed for drift: what BenchmarkContractPathFirstResponse times.
func (d *driftCheck) forgetResponses() {
	d.ops.Range(func(_, o any) bool {
		op := o.(*operationDrift)
		op.tracker = op.newTracker()
		return true
	})
}

// forgetOperations makes the drift check new: every operation's schema is
// parsed for drift again on its next response, and its Tracker built on it.
func (d *driftCheck) forgetOperations() {
	d.ops.Clear()
}
