package specdiff

import (
	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Rule is one row of the spec-change rules: where a change is (operation,
// request or response), its kind, the severity it carries for us as the
// vendor's consumer, and what it means, in the README's words. Diff takes
// every severity from here; a test holds the README's table against Rules.
type Rule struct {
	Location string
	Change   contract.Change
	Severity verdict.Severity
	Meaning  string
}

// ruleID names a row of rules.
type ruleID int

const (
	ruleOperationRemoved ruleID = iota
	ruleResponseRemoved
	ruleResponseTypeChanged
	ruleRequestTypeChanged
	ruleRequestBecameRequired
	ruleRequestAddedRequired
	ruleResponseEnumChanged
	ruleRequestEnumChanged
	ruleResponseFormatChanged
	ruleRequestFormatChanged
	ruleRequestRemoved
	ruleOperationAdded
	ruleResponseAdded
	ruleRequestAdded
	numRules
)

// rules is the table, most severe first, in the README's order.
var rules = [numRules]Rule{
	ruleOperationRemoved:      {LocationOperation, contract.Removed, verdict.Breaking, "the operation is gone"},
	ruleResponseRemoved:       {LocationResponse, contract.Removed, verdict.Breaking, "a response field we may parse is gone"},
	ruleResponseTypeChanged:   {LocationResponse, contract.TypeChanged, verdict.Breaking, "a response field is retyped: it breaks what we parse"},
	ruleRequestTypeChanged:    {LocationRequest, contract.TypeChanged, verdict.Breaking, "a request field is retyped: it breaks the bodies we send"},
	ruleRequestBecameRequired: {LocationRequest, contract.BecameRequired, verdict.Breaking, "an optional request field became required"},
	ruleRequestAddedRequired:  {LocationRequest, contract.Added, verdict.Breaking, "a request field is added as required: every call without it fails"},
	ruleResponseEnumChanged:   {LocationResponse, contract.EnumChanged, verdict.Warning, "a response field's enum changed"},
	ruleRequestEnumChanged:    {LocationRequest, contract.EnumChanged, verdict.Warning, "a request field's enum changed"},
	ruleResponseFormatChanged: {LocationResponse, contract.FormatChanged, verdict.Warning, "a response field's format changed, e.g. int32 → int64"},
	ruleRequestFormatChanged:  {LocationRequest, contract.FormatChanged, verdict.Warning, "a request field's format changed"},
	ruleRequestRemoved:        {LocationRequest, contract.Removed, verdict.Warning, "a request field is no longer documented: most likely ignored, stop sending it"},
	ruleOperationAdded:        {LocationOperation, contract.Added, verdict.Info, "a new operation"},
	ruleResponseAdded:         {LocationResponse, contract.Added, verdict.Info, "a new response field (reported once, at the top of a new subtree)"},
	ruleRequestAdded:          {LocationRequest, contract.Added, verdict.Info, "a new optional request field"},
}

// Rules returns the spec-change rules in the README's order.
func Rules() []Rule { return append([]Rule(nil), rules[:]...) }

// byLocation picks the request or the response rule of one change kind.
func byLocation(loc string, request, response ruleID) ruleID {
	if loc == LocationRequest {
		return request
	}
	return response
}

// change builds the Change of rule id; Operation is set by the caller.
func (id ruleID) change(pointer, old, new string) Change {
	r := rules[id]
	return Change{Location: r.Location, Pointer: pointer, Change: r.Change, Severity: r.Severity, Old: old, New: new}
}

// changeKinds lists every change kind of the rules, in first-seen order:
// the keys of Summary.ByChange.
func changeKinds() []contract.Change {
	var out []contract.Change
	seen := map[contract.Change]bool{}
	for _, r := range rules {
		if !seen[r.Change] {
			seen[r.Change] = true
			out = append(out, r.Change)
		}
	}
	return out
}
