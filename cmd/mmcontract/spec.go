package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/schemas/openapi"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// specCommand works with the vendor's published OpenAPI documents:
//
//	mmcontract spec diff OLD NEW [--format text|json]
//	mmcontract spec import --openapi FILE --out DIR [--family F] [--overlays DIR]
type specCommand struct{ stdio }

const specUsage = "usage: mmcontract spec diff OLD NEW [--format text|json]\n" +
	"       mmcontract spec import --openapi FILE --out DIR [--family client|manager|auth2] [--overlays DIR]"

func (c *specCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &runner.UsageError{Err: errors.New(specUsage)}
	}
	switch args[0] {
	case "diff":
		return c.diff(args[1:])
	case "import":
		return c.importSpec(args[1:])
	case "-h", "--help", "help":
		return &helpRequest{usage: specUsage + "\n"}
	}
	return &runner.UsageError{Err: fmt.Errorf("unknown spec subcommand %q%s\n%s", args[0], didYouMean(args[0], []string{"diff", "import"}), specUsage)}
}

// diff compares two spec files. Exit 0: no breaking change; 1: breaking
// changes; 2: usage error, an unreadable file or an invalid spec (reported
// in the chosen format, never as operations removed).
func (c *specCommand) diff(args []string) error {
	flags := newFlagSet("spec diff", c.stderr)
	format := flags.String("format", "text", "output format: text or json")
	files, err := parseInterspersed(flags, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return &runner.UsageError{Err: fmt.Errorf("want two spec files, OLD and NEW, got %d argument(s)", len(files))}
	}
	if *format != "text" && *format != "json" {
		return &runner.UsageError{Err: fmt.Errorf("--format %q: want text or json", *format)}
	}
	var raw [2][]byte
	for i, f := range files {
		if raw[i], err = os.ReadFile(f); err != nil {
			return &runner.UsageError{Err: err} // "open FILE: no such file or directory"
		}
	}
	report := specdiff.Compare(raw[0], raw[1])
	if *format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = report.WriteText(c.stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	switch {
	case !report.Valid():
		if !report.OldValid {
			fmt.Fprintf(c.stderr, "mmcontract spec diff: %s: invalid OpenAPI document: %s\n", files[0], report.OldReason)
		}
		if !report.NewValid {
			fmt.Fprintf(c.stderr, "mmcontract spec diff: %s: invalid OpenAPI document: %s\n", files[1], report.NewReason)
		}
		return &exitError{code: verdict.ExitUsage}
	case report.Breaking():
		return &exitError{code: verdict.ExitBroken}
	}
	return nil
}

// importFamilies are the vendor API families with a spec of their own (the
// signed "openapi" family reuses the client schemas).
var importFamilies = []string{"client", "manager", "auth2", "webhook"}

// importSpec generates the schema tree for one family from a vendor spec.
func (c *specCommand) importSpec(args []string) error {
	flags := newFlagSet("spec import", c.stderr)
	spec := flags.String("openapi", "", "the vendor OpenAPI 3 document (YAML or JSON)")
	out := flags.String("out", "", "the schemas root to write (DIR/envelope.json, DIR/<family>/...)")
	family := flags.String("family", "client", "the API family: "+strings.Join(importFamilies, ", "))
	overlays := flags.String("overlays", "", "overlay directory (default DIR/<family>/overlays; absent means none)")
	var supplements stringList
	flags.Var(&supplements, "supplement", "a further spec of the family whose operations the --openapi one lacks are added, with a note (repeatable; the CN Client spec beside the EN one)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	switch {
	case *spec == "":
		return &runner.UsageError{Err: errors.New("--openapi FILE is required")}
	case *out == "":
		return &runner.UsageError{Err: errors.New("--out DIR is required")}
	}
	known := false
	for _, f := range importFamilies {
		known = known || f == *family
	}
	if !known {
		return &runner.UsageError{Err: fmt.Errorf("--family %q: want one of %s", *family, strings.Join(importFamilies, ", "))}
	}
	if *overlays == "" {
		*overlays = filepath.Join(*out, *family, "overlays")
	}
	raw, err := os.ReadFile(*spec)
	if err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--openapi: %w", err)}
	}
	// Validate first with the diff's stricter checks (a truncated publish
	// can still parse as YAML), so a bad spec never rewrites the tree.
	if err := specdiff.Validate(raw); err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--openapi %s: %w", *spec, err)}
	}
	for _, sup := range supplements {
		raw, err := os.ReadFile(sup)
		if err != nil {
			return &runner.UsageError{Err: fmt.Errorf("--supplement: %w", err)}
		}
		if err := specdiff.Validate(raw); err != nil {
			return &runner.UsageError{Err: fmt.Errorf("--supplement %s: %w", sup, err)}
		}
	}
	if err := openapi.ImportFile(*spec, *family, *overlays, *out, supplements...); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return err // an I/O failure of ours: exit 4
		}
		// Anything else is the input's fault: the spec or an overlay.
		return &runner.UsageError{Err: err}
	}
	n, err := catalogSize(filepath.Join(*out, *family, "catalog.json"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "imported %d %s operation(s) from %s into %s\n", n, *family, *spec, *out)
	return nil
}

func catalogSize(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read back catalog: %w", err)
	}
	var ops []json.RawMessage
	if err := json.Unmarshal(b, &ops); err != nil {
		return 0, fmt.Errorf("read back catalog %s: %w", path, err)
	}
	return len(ops), nil
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments (`spec diff OLD NEW --format json`), which the flag
// package alone stops at, and returns the positionals.
func parseInterspersed(flags *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		before := len(args)
		if err := parseHeld(flags, func() error { return flags.Parse(args) }); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if before > len(rest) && args[before-len(rest)-1] == "--" {
			// Everything after "--" is positional.
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
