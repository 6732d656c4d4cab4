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
	// parsed holds each data schema parsed for drift once, on the first
	// response of its operation without a baseline; specs run in parallel.
	parsed drift.SchemaCache
	// trackers holds each operation's *drift.Tracker[checkedShape], by
	// drift.Key.
	trackers sync.Map
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
	t, _ := d.trackers.Load(key)
	if t == nil {
		t, _ = d.trackers.LoadOrStore(key, drift.NewTracker[checkedShape](drift.Inferrer{}))
	}
	c, err := t.(*drift.Tracker[checkedShape]).Observe(body, func(shape drift.Shape) (checkedShape, error) {
		return d.derive(key, family, bizType, shape)
	})
	// The drift is the caller's to keep, and the Tracker may return it again.
	return c.raw, slices.Clone(c.drift), err
}

// checkedShape is what a run derives from a response's shape: the shape as
// recorded, and its drift.
type checkedShape struct {
	raw   json.RawMessage
	drift []contract.Drift
}

func (d *driftCheck) derive(key, family, bizType string, shape drift.Shape) (checkedShape, error) {
	pointers := shape.Pointers() // sorted once for the record and the diff
	c := checkedShape{raw: json.RawMessage(drift.FormatSorted(shape, pointers))}
	if base, ok := d.baselines[key]; ok {
		c.drift = drift.Diff(bizType, base, shape)
		return c, nil
	}
	schema, ok := d.set.DataSchema(family, bizType)
	if !ok {
		return c, fmt.Errorf("no schema for %s/%s", family, bizType)
	}
	var err error
	c.drift, err = d.parsed.DiffSchemaSorted(bizType, schema, shape, pointers)
	return c, err
}
