package drift

import (
	"fmt"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Rule is one row of the drift rules, oasdiff-style: the change kind a
// difference is reported as, the severity it carries, and what it means, in
// the README's words (Markdown). Diff and DiffSchema take change and severity
// from here and nowhere else, and a test holds the README's severity table
// against Rules, so the documentation cannot drift from the checker.
type Rule struct {
	Change   contract.Change
	Severity verdict.Severity
	Meaning  string
}

// ruleID names a row of rules. One change kind may have several rows, each
// with its own severity (type_changed is breaking, except from a baseline
// that only ever saw null).
type ruleID int

const (
	ruleRemoved ruleID = iota
	ruleTypeChanged
	ruleBecameNull
	ruleEnvelopeSemantics
	ruleEnumAdded
	ruleAdded
	ruleBecameOptional
	ruleTypedFromNull
	ruleUndocumented
	ruleSchemaNull
	ruleSequenceGap
	numRules
)

// rules is the table, in the README's order: against a baseline first, most
// severe first, then the two rules of drift against the schemas alone.
var rules = [numRules]Rule{
	ruleRemoved:           {contract.Removed, verdict.Breaking, "a pointer present in every baseline sample is missing"},
	ruleTypeChanged:       {contract.TypeChanged, verdict.Breaking, "a type the baseline never saw, e.g. integer → string"},
	ruleBecameNull:        {contract.BecameNull, verdict.Breaking, "null where the baseline never saw null"},
	ruleEnvelopeSemantics: {contract.EnvelopeSemantics, verdict.Breaking, "`/code`, `/ok` or `/fail` changed type, or a new success code appeared"},
	ruleEnumAdded:         {contract.EnumAdded, verdict.Warning, "a code field shows a value the baseline never saw"},
	ruleAdded:             {contract.Added, verdict.Info, "a new pointer (reported once, at the top of a new subtree)"},
	ruleBecameOptional:    {contract.BecameOptional, verdict.Info, "a field the baseline always saw is sometimes missing"},
	ruleTypedFromNull:     {contract.TypeChanged, verdict.Info, "a first type for a field the baseline only ever saw as null (it knew no type to break)"},
	ruleUndocumented:      {contract.Added, verdict.Info, "without a baseline: a pointer under `/data` the schema does not describe (reported at the top of an undocumented subtree)"},
	ruleSchemaNull:        {contract.BecameNull, verdict.Breaking, "without a baseline: null where every schema describing the pointer forbids null"},
	ruleSequenceGap:       {contract.SequenceGap, verdict.Warning, "a websocket push's `seq` skipped or repeated a number of its symbol's stream (missed or replayed data)"},
}

// Rules returns the drift rules in the README's order.
func Rules() []Rule { return append([]Rule(nil), rules[:]...) }

// drift builds the Drift of rule id at pointer, with its fingerprint.
func (id ruleID) drift(operation, pointer, baseline, observed, newType string) contract.Drift {
	r := rules[id]
	return contract.Drift{
		Pointer: pointer, Change: r.Change, Severity: r.Severity,
		Baseline: baseline, Observed: observed,
		Fingerprint: Fingerprint(operation, pointer, r.Change, newType),
	}
}

// SequenceGap is the drift of a websocket stream whose seq went from last to
// seen instead of last+1, at pointer (e.g. /data/seq) of operation's frames.
// Its fingerprint does not carry the numbers, so every gap of one stream is
// one alert.
func SequenceGap(operation, pointer string, last, seen uint64) contract.Drift {
	return ruleSequenceGap.drift(operation, pointer, fmt.Sprintf("seq %d", last+1), fmt.Sprintf("seq %d", seen), "")
}
