package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/reports/html"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner"
)

// reportCommand re-renders report.html from a run's ginkgo.json and
// results.json: `mmcontract report --from OUT [--html FILE]`.
type reportCommand struct{ stdio }

func (c *reportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("report", c.stderr)
	from := fs.String("from", "out", "a run's output directory (holding ginkgo.json and results.json)")
	out := fs.String("html", "", "where to write the report (default FROM/report.html)")
	redactConfig := fs.String("redact-config", "", "YAML file extending or adjusting the redacted keys")
	bodies := fs.String("html-bodies", html.BodiesFailing, "request and response bodies to include: failing or all")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bodies != html.BodiesFailing && *bodies != html.BodiesAll {
		return &runner.UsageError{Err: fmt.Errorf("--html-bodies: want failing or all, got %q", *bodies)}
	}
	redCfg, err := redact.LoadFile(*redactConfig)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--redact-config: %w", err)}
	}
	res, reports, err := readRun(*from)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(*from, "report.html")
	}
	if err := html.WriteFile(path, res, reports, html.Options{Bodies: *bodies, Version: version, Commit: commit(),
		Redactor: redact.New(redCfg)}); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s\n", path)
	return nil
}

// readRun loads a run's results.json and ginkgo.json (given as --from). A
// missing or malformed file is a usage error naming the file.
func readRun(dir string) (results.Results, []types.Report, error) {
	return readRunAs("--from", dir)
}

// readRunAs is readRun for a directory that what names in messages.
func readRunAs(what, dir string) (results.Results, []types.Report, error) {
	var res results.Results
	if err := readJSON(what, filepath.Join(dir, "results.json"), &res); err != nil {
		return res, nil, err
	}
	var reports []types.Report
	if err := readJSON(what, filepath.Join(dir, "ginkgo.json"), &reports); err != nil {
		return res, nil, err
	}
	return res, reports, nil
}

func readJSON(what, path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return &runner.UsageError{Err: fmt.Errorf("%s: %s is not a run's output: %s", what, path, jsonReason(err))}
	}
	return nil
}

// jsonReason restates a JSON decoding error in the file's terms, the key and
// the byte offset, never the Go type it was decoded into.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%q is a JSON %s, want %s (at byte %d)", te.Field, te.Value, jsonKind(te.Type.Kind()), te.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("the document is a JSON %s, want %s", te.Value, jsonKind(te.Type.Kind()))
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON: %s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "not JSON: the file ends early (truncated?)"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	if k >= reflect.Int && k <= reflect.Float64 {
		return "a number"
	}
	return "another kind of value"
}
