package main

import (
	"context"
	"fmt"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner"
)

// mergeCommand combines the outputs of a sharded run's shards:
// `mmcontract merge --out DIR SHARD_OUT…`.
type mergeCommand struct{ stdio }

func (c *mergeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("merge", c.stderr)
	opts := runner.MergeOptions{}
	fs.StringVar(&opts.OutDir, "out", "out", "directory for the merged results.json, junit.xml, ginkgo.json and report.html")
	failOn := fs.String("fail-on", verdict.DefaultFailOn, "verdicts that make the merge exit non-zero, as for run")
	fs.BoolVar(&opts.AllowPartial, "allow-partial", false, "merge even when some shards' outputs are missing (results.json lists them under merged.missing)")
	redactConfig := fs.String("redact-config", "", "YAML file extending or adjusting the redacted keys")
	// Flags may come before, between or after the directories.
	var dirs []string
	for {
		rest := args
		if err := parseHeld(fs, func() error { return fs.Parse(rest) }); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs, args = append(dirs, fs.Arg(0)), fs.Args()[1:]
	}
	var err error
	if opts.FailOn, err = verdict.ParseFailOn(*failOn); err != nil {
		return &runner.UsageError{Err: err}
	}
	if len(opts.FailOn) == 0 {
		return &runner.UsageError{Err: fmt.Errorf("--fail-on %q lists no verdict; give at least one, e.g. --fail-on %s", *failOn, verdict.DefaultFailOn)}
	}
	if opts.Redaction, err = redact.LoadFile(*redactConfig); err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--redact-config: %w", err)}
	}
	if len(dirs) == 0 {
		return &runner.UsageError{Err: fmt.Errorf("give the shards' output directories, e.g. mmcontract merge --out out shard-1 shard-2")}
	}
	var shards []runner.ShardRun
	for _, dir := range dirs {
		res, reports, err := readRunAs("shard output", dir)
		if err != nil {
			return err
		}
		shards = append(shards, runner.ShardRun{Dir: dir, Results: res, Reports: reports})
	}
	out, err := runner.Merge(shards, opts, c.stdout, c.stderr)
	if err != nil {
		return err
	}
	return &exitError{code: out.ExitCode}
}
