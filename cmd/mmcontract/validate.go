package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites"
	"github.com/mmcontract/mmcontract/suites/check"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

// validateCommand checks one captured response body, a file or stdin (a
// body pasted from a vendor ticket, a capture from a proxy), the way a run
// checks a response: `mmcontract validate --family F --operation BIZTYPE
// [--format text|json] [FILE|-]`. Exit 0: every check holds; 1: a check is
// violated; 2: usage, an unknown family or operation, an unreadable file.
type validateCommand struct {
	stdio
	stdin io.Reader // nil: os.Stdin
}

// validateReport is the --format json output.
type validateReport struct {
	Family    string          `json:"family"`
	Operation string          `json:"operation"`
	Holds     bool            `json:"holds"`
	Checks    []validateCheck `json:"checks"`
}

// validateCheck is one of the run's per-response checks.
type validateCheck struct {
	Check      string               `json:"check"` // envelope, data, invariants
	Holds      bool                 `json:"holds"`
	Note       string               `json:"note,omitempty"` // why a check was not made, or what it left out
	Violations []contract.Violation `json:"violations"`
}

func (c *validateCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("validate", c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s --family F --operation BIZTYPE [--format text|json] [FILE|-]\n\n"+
			"Checks one response body (FILE, or stdin when FILE is - or absent) against the envelope schema,\n"+
			"the operation's data schema and the envelope invariants that need no request.\n"+
			"Exit 0 every check holds, 1 a check is violated, 2 usage or unreadable input.\n\nflags:\n", fs.Name())
		fs.PrintDefaults()
	}
	family := fs.String("family", "client", "API family: client, openapi, manager or auth2")
	operation := fs.String("operation", "", "the operation's bizType, or its method name when that is unambiguous")
	format := fs.String("format", "text", "output format: text or json")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) > 1 {
		return &runner.UsageError{Err: fmt.Errorf("one body at a time: got %q and %q", files[0], files[1])}
	}
	file := "-" // no FILE: stdin
	if len(files) == 1 {
		file = files[0]
	}
	if *format != "text" && *format != "json" {
		return &runner.UsageError{Err: fmt.Errorf("--format %q: want text or json", *format)}
	}
	red := redact.New(redact.DefaultConfig())
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		return err
	}
	op, err := findOperation(set, *family, *operation)
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	body, err := c.readBody(file)
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	rep, err := validateBody(set, op, body)
	if err != nil {
		return err
	}
	// Every byte printed passes the redactor: Seen is masked already, but a
	// message may quote the body.
	out := red.NewWriter(c.stdout)
	if *format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		_, err = io.WriteString(out, redact.Terminal(rep.text()))
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if !rep.Holds {
		return &exitError{code: verdict.ExitBroken}
	}
	return nil
}

// findOperation resolves --family and --operation, with a near miss
// suggested for either.
func findOperation(set *schemas.Set, family, operation string) (schemas.Operation, error) {
	families := append(set.Families(), "openapi")
	if !slices.Contains(families, family) {
		slices.Sort(families)
		return schemas.Operation{}, fmt.Errorf("unknown family %q%s (families: %s)", family, didYouMean(family, families), strings.Join(families, ", "))
	}
	if operation == "" {
		return schemas.Operation{}, errors.New("--operation is required: the bizType whose data schema the body is checked against")
	}
	if op, ok := set.Operation(family, operation); ok {
		return op, nil
	}
	ops := set.Operations(family)
	var names []string
	var byMethod []schemas.Operation
	for _, op := range ops {
		// Near misses are looked for among the method names too: people
		// type findCustomerInfo, not its whole bizType.
		names = append(names, op.BizType, op.Method())
		if op.Method() == operation {
			byMethod = append(byMethod, op)
		}
	}
	if len(byMethod) == 1 {
		return byMethod[0], nil
	}
	if len(byMethod) > 1 {
		var amb []string
		for _, op := range byMethod {
			amb = append(amb, op.BizType)
		}
		return schemas.Operation{}, fmt.Errorf("--operation %q names %d %s operations: give the bizType (%s)", operation, len(byMethod), family, strings.Join(amb, ", "))
	}
	return schemas.Operation{}, fmt.Errorf("unknown %s operation %q%s", family, operation, didYouMean(operation, names))
}

// maxValidateBody is the body size a run reads at most (the client's cap).
const maxValidateBody = mmapi.DefaultMaxBodyBytes

func (c *validateCommand) readBody(file string) ([]byte, error) {
	var r io.Reader
	name := "stdin"
	if file == "-" {
		r = c.stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		defer f.Close()
		r, name = f, file
	}
	body, err := io.ReadAll(io.LimitReader(r, maxValidateBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body from %s: %w", name, err)
	}
	if len(body) > maxValidateBody {
		return nil, fmt.Errorf("%s is larger than %d MiB, the most a run reads of a response", name, maxValidateBody>>20)
	}
	return body, nil
}

// validateBody makes the checks a run makes of one response, in the same
// order: the envelope schema; the data schema, when the envelope decodes and
// signals success (an error envelope is recorded as the run's data check
// records it, vendor_error); and the envelope invariants except the trace
// echo, which needs the request's trace.
func validateBody(set *schemas.Set, op schemas.Operation, body []byte) (validateReport, error) {
	if op.Family == suites.QuoteFamily {
		return validateQuoteFrame(set, op, body)
	}
	rep := validateReport{Family: op.Family, Operation: op.BizType, Holds: true}
	add := func(name, note string, vs []contract.Violation, holds bool) {
		if vs == nil {
			vs = []contract.Violation{}
		}
		rep.Checks = append(rep.Checks, validateCheck{Check: name, Holds: holds, Note: note, Violations: vs})
		rep.Holds = rep.Holds && holds
	}
	// The checks are the run's own (suites/check), so a captured body reads
	// exactly as the same response does in a run's results.json.
	ev, err := check.Envelope(set, body)
	if err != nil {
		return rep, err
	}
	add("envelope", "", ev, len(ev) == 0)

	env, err := mmapi.DecodeEnvelope(body)
	switch {
	case err == nil && !env.Success():
		add("data", "", []contract.Violation{check.VendorError(env.Code, check.RefusedReadOnly)}, false)
	case len(ev) > 0:
		// As in a run, a broken envelope fails the data check with the
		// envelope's violations: the record says why it failed.
		add("data", "not checked against the data schema: the envelope breaks its schema", ev, false)
	case err != nil:
		var ce *mmapi.ContractError
		reason := err.Error()
		if errors.As(err, &ce) {
			reason = ce.Reason
		}
		add("data", "not checked: no envelope to take data from", []contract.Violation{check.Undecodable(oneline.First(reason, oneline.MaxMessage))}, false)
	default:
		vs, err := check.Data(set, op.Family, op.BizType, nil, env.OK, env.Data)
		if err != nil {
			return rep, err
		}
		add("data", "", vs, len(vs) == 0)
	}

	var inv []contract.Violation
	for _, v := range suites.Invariants(body, "") {
		// With no request there is no trace to echo: Invariants reports
		// any trace but "" as not echoed, so that rule is left out.
		if v.Keyword != "trace_echo" {
			inv = append(inv, v)
		}
	}
	add("invariants", "the trace echo is not checked: it needs the request's trace", inv, len(inv) == 0)
	return rep, nil
}

// text is the report for people: each check, then its violations in the
// run's failure-message format.
func (r validateReport) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Family, r.Operation)
	for _, ch := range r.Checks {
		state := "holds"
		if !ch.Holds {
			state = fmt.Sprintf("violated: %d violation(s)", len(ch.Violations))
		}
		fmt.Fprintf(&b, "%s: %s", ch.Check, state)
		if ch.Note != "" {
			fmt.Fprintf(&b, " (%s)", ch.Note)
		}
		b.WriteByte('\n')
		b.WriteString(matchers.FormatViolations(ch.Violations))
	}
	if r.Holds {
		b.WriteString("contract holds\n")
	} else {
		b.WriteString("contract violated\n")
	}
	return b.String()
}
