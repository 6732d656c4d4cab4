package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/drift"
	"github.com/mmcontract/mmcontract/schemas"
)

// driftCheck compares each response's shape with the accepted baseline of its
// operation, or with the operation's schema when it has no baseline file.
type driftCheck struct {
	set       *schemas.Set
	baselines map[string]drift.Shape // by drift.Key(family, bizType)
	// ops holds each operation's *operationDrift, by drift.Key.
	ops sync.Map
}

// operationDrift is what the drift check keeps of one operation: its data
// schema read for drift (nil when it has none or it is not JSON: schemaErr
// says which) and the Tracker of its responses, built on it.
type operationDrift struct {
	schema    *drift.Schema
	schemaErr error
	tracker   *drift.Tracker[checkedShape]
}

// newDriftChecker loads every baseline once at start, so a malformed
// baseline file is a usage error before any request, not a broken check.
func newDriftChecker(set *schemas.Set, dir string) (*driftCheck, error) {
	d := &driftCheck{set: set, baselines: map[string]drift.Shape{}}
	if dir == "" {
		return d, nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--baseline %s does not exist; create it from a good run with: mmcontract baseline accept --from out --baseline %s", dir, dir)
	}
	all, err := drift.ReadAll(dir)
	if err != nil {
		return nil, usagef("--baseline: %v", err)
	}
	if len(all) == 0 {
		return nil, usagef("--baseline %s holds no baselines: want one file per operation, %s/<family>/<bizType>.json "+
			"(e.g. %s/client/customer.app.CustomerWebApiService.findCustomerInfo.json); create them from a good run with: "+
			"mmcontract baseline accept --from out --baseline %s", dir, dir, dir, dir)
	}
	d.baselines = all
	return d, nil
}

// account counts the operations of checks that the run checked (called or
// tried to call) and how many of them had a baseline.
func (d *driftCheck) account(dir string, checks []results.Check) *results.Baselines {
	b := &results.Baselines{Dir: dir}
	seen := map[string]bool{}
	for _, c := range checks {
		key := drift.Key(c.Family, c.Operation)
		if c.Operation == "" || c.Family == "" || c.Verdict == verdict.Skipped || seen[key] {
			continue
		}
		seen[key] = true
		b.OperationsChecked++
		if _, ok := d.baselines[key]; ok {
			b.OperationsWithBaseline++
		}
	}
	return b
}

// HasBaseline reports whether the operation has an accepted baseline.
func (d *driftCheck) HasBaseline(family, bizType string) bool {
	_, ok := d.baselines[drift.Key(family, bizType)]
	return ok
}

// Check infers the shape of one response of the operation, formats it for
// the record and diffs it: against the operation's baseline, or its schema.
// Each operation's responses go through one drift.Tracker, so a response
// shaped like the operation's last one costs one scan of its tokens.
func (d *driftCheck) Check(family, bizType string, body []byte) (json.RawMessage, []contract.Drift, error) {
	key := drift.Key(family, bizType)
	o, _ := d.ops.Load(key)
	if o == nil {
		o, _ = d.ops.LoadOrStore(key, d.operation(family, bizType))
	}
	op := o.(*operationDrift)
	c, err := op.tracker.ObserveInferred(body, func(x *drift.Inferred) (checkedShape, error) {
		return d.derive(key, bizType, op, x)
	})
	// The drift is the caller's to keep, and the Tracker may return it again.
	return c.raw, slices.Clone(c.drift), err
}

// operation reads the operation's data schema as the checker decoded it,
// once per run, and builds the Tracker of its responses on it
// (drift.NewSchemaTracker), so that its first response is inferred and
// diffed through the schema's compiled pointers. Without a usable schema the Tracker is a plain one,
// and derive reports the schema's problem unless a baseline is the
// reference.
func (d *driftCheck) operation(family, bizType string) *operationDrift {
	op := &operationDrift{}
	if tree, ok := d.set.DataSchemaTree(family, bizType); ok {
		op.schema = drift.SchemaOfTree(tree)
	} else if _, ok := d.set.DataSchema(family, bizType); ok {
		op.schemaErr = fmt.Errorf("drift of %s against its schema: not valid JSON", bizType)
	} else {
		op.schemaErr = fmt.Errorf("no schema for %s/%s", family, bizType)
	}
	op.tracker = op.newTracker()
	return op
}

func (op *operationDrift) newTracker() *drift.Tracker[checkedShape] {
	if op.schema != nil {
		return drift.NewSchemaTracker[checkedShape](drift.Inferrer{}, op.schema)
	}
	return drift.NewTracker[checkedShape](drift.Inferrer{})
}

// checkedShape is what a run derives from a response's shape: the shape as
// recorded, and its drift.
type checkedShape struct {
	raw   json.RawMessage
	drift []contract.Drift
}

func (d *driftCheck) derive(key, bizType string, op *operationDrift, x *drift.Inferred) (checkedShape, error) {
	c := checkedShape{raw: json.RawMessage(x.Format())}
	if base, ok := d.baselines[key]; ok {
		c.drift = drift.Diff(bizType, base, x.Shape())
		return c, nil
	}
	if op.schema == nil {
		return c, op.schemaErr
	}
	c.drift = x.DiffSchema(bizType, op.schema)
	return c, nil
}
