package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/runner/drift"
)

// baselineCommand manages accepted baselines: `mmcontract baseline accept
// --from OUT --baseline DIR` merges the shapes a run observed into DIR.
type baselineCommand struct{ stdio }

func (c *baselineCommand) Run(ctx context.Context, args []string) error {
	const use = "usage: mmcontract baseline accept --from OUT --baseline DIR"
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		return &helpRequest{usage: use + "\n"}
	case len(args) == 0:
		return &runner.UsageError{Err: fmt.Errorf("%s", use)}
	case args[0] != "accept":
		return &runner.UsageError{Err: fmt.Errorf("unknown baseline subcommand %q%s\n%s", args[0], didYouMean(args[0], []string{"accept"}), use)}
	}
	fs := newFlagSet("baseline accept", c.stderr)
	from := fs.String("from", "out", "a run's output directory (holding ginkgo.json)")
	dir := fs.String("baseline", "", "the baseline directory to merge into (created as needed)")
	force := fs.Bool("force", false, "accept even from a run with broken, unavailable, error or config checks")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return &runner.UsageError{Err: fmt.Errorf("--baseline DIR is required")}
	}
	res, reports, err := readRun(*from)
	if err != nil {
		return err
	}
	if bad := unacceptable(res); len(bad) > 0 && !*force {
		return &runner.UsageError{Err: fmt.Errorf("--from %s: refusing to accept a run whose checks did not all hold, "+
			"or its breakage would become the baseline; fix the run, or pass --force:\n%s", *from, strings.Join(bad, "\n"))}
	}
	observed := map[string]drift.Shape{}
	// The run's checks with their observations, decoded once.
	learn := func(family, operation string, raw json.RawMessage) error {
		if len(raw) == 0 {
			return nil
		}
		shape, err := drift.Parse(scrubbedValues(raw))
		if err != nil {
			return &runner.UsageError{Err: fmt.Errorf("--from %s: shape of %s: %w", *from, operation, err)}
		}
		key := drift.Key(family, operation)
		merged := observed[key]
		merged.Merge(shape)
		observed[key] = merged
		return nil
	}
	for _, e := range results.NewIndex(reports).Entries() {
		obs := e.Observation
		if !e.Observed {
			continue
		}
		if err := learn(obs.Family, obs.Operation, obs.Shape); err != nil {
			return err
		}
		// A lifecycle's steps each called an operation of their own.
		for _, st := range obs.Story {
			if err := learn(obs.Family, st.Operation, st.Shape); err != nil {
				return err
			}
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

// refusedVerdicts are the verdicts of a run that must not become a baseline.
var refusedVerdicts = verdict.RefusingBaseline()

// unacceptable lists, one line each, the counts and the first checks of a
// run that make it unfit to accept.
func unacceptable(res results.Results) []string {
	var lines []string
	for _, v := range refusedVerdicts {
		if n := res.Counts[v]; n > 0 {
			lines = append(lines, fmt.Sprintf("  %d %s", n, v))
		}
	}
	const maxChecks = 10
	shown := 0
	for _, c := range res.Checks {
		if !slices.Contains(refusedVerdicts, c.Verdict) {
			continue
		}
		if shown == maxChecks {
			lines = append(lines, "  …")
			break
		}
		shown++
		lines = append(lines, fmt.Sprintf("  %-11s %s: %s", c.Verdict, c.Spec, c.Message))
	}
	return lines
}

// scrubbedValues drops the value set of any field whose recorded values the
// output redactor rewrote. ginkgo.json passes through the redactor's text
// filter, which may replace a code that happens to contain a learned secret
// or PII literal; such a field is accepted as "values not tracked" rather than
// with a corrupted value, and rather than failing the whole accept.
func scrubbedValues(raw []byte) []byte {
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return raw
	}
	fields, _ := doc["fields"].(map[string]any)
	changed := false
	for _, f := range fields {
		field, ok := f.(map[string]any)
		if !ok {
			continue
		}
		values, _ := field["values"].([]any)
		for _, v := range values {
			if s, ok := v.(string); ok && strings.Contains(s, "[redacted") {
				delete(field, "values")
				field["valuesDropped"] = true
				changed = true
				break
			}
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}
