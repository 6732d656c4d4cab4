package main

import (
	"context"
	"fmt"

	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/runner/drift"
)

// baselineCommand manages accepted baselines: `mmcontract baseline accept
// --from OUT --baseline DIR` merges the shapes a run observed into DIR.
type baselineCommand struct{ stdio }

func (c *baselineCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "accept" {
		return &runner.UsageError{Err: fmt.Errorf("usage: mmcontract baseline accept --from OUT --baseline DIR")}
	}
	fs := newFlagSet("baseline accept", c.stderr)
	from := fs.String("from", "out", "a run's output directory (holding ginkgo.json)")
	dir := fs.String("baseline", "", "the baseline directory to merge into (created as needed)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return &runner.UsageError{Err: fmt.Errorf("--baseline DIR is required")}
	}
	_, reports, err := readRun(*from)
	if err != nil {
		return err
	}
	observed := map[string]drift.Shape{}
	for _, r := range reports {
		for _, spec := range r.SpecReports {
			obs, ok := results.ObservationOf(spec)
			if !ok || len(obs.Shape) == 0 {
				continue
			}
			shape, err := drift.Parse(obs.Shape)
			if err != nil {
				return &runner.UsageError{Err: fmt.Errorf("--from %s: shape of %s: %w", *from, obs.Operation, err)}
			}
			key := drift.Key(obs.Family, obs.Operation)
			merged := observed[key]
			merged.Merge(shape)
			observed[key] = merged
		}
	}
	if len(observed) == 0 {
		return &runner.UsageError{Err: fmt.Errorf("--from %s: the run recorded no response shapes (was it a run with only failing or skipped checks?)", *from)}
	}
	changed, err := drift.AcceptInto(*dir, observed)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "accepted %d operation shape(s) into %s; %d file(s) changed\n", len(observed), *dir, len(changed))
	for _, f := range changed {
		fmt.Fprintf(c.stdout, "  %s\n", f)
	}
	return nil
}
