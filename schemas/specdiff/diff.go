package specdiff

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas/openapi"
)

// Locations of a change.
const (
	LocationOperation = "operation"
	LocationRequest   = "request"
	LocationResponse  = "response"
)

// Change is one classified difference. Pointer is relative to the request
// body root (location "request") or to the response body root, the envelope
// (location "response"), so data fields are /data/...; "*" stands for array
// items (and map values). Old and New describe the field before and after:
// its type, format, enum or "required".
type Change struct {
	Operation string           `json:"operation"`
	Location  string           `json:"location"`
	Pointer   string           `json:"pointer"`
	Change    contract.Change  `json:"change"`
	Severity  verdict.Severity `json:"severity"`
	Old       string           `json:"old,omitempty"`
	New       string           `json:"new,omitempty"`
}

// Summary counts the changes. Every severity and kind is present, zero or
// not, so that consumers need no existence checks.
type Summary struct {
	Total      int                      `json:"total"`
	BySeverity map[verdict.Severity]int `json:"by_severity"`
	ByChange   map[contract.Change]int  `json:"by_change"`
}

// Report is the outcome of comparing two spec versions. When either spec is
// invalid, Changes is empty and the reasons say why: an invalid publish is
// never reported as every operation removed.
type Report struct {
	OldValid  bool     `json:"old_spec_valid"`
	NewValid  bool     `json:"new_spec_valid"`
	Reason    string   `json:"reason,omitempty"`
	OldReason string   `json:"old_reason,omitempty"`
	NewReason string   `json:"new_reason,omitempty"`
	Summary   Summary  `json:"summary"`
	Changes   []Change `json:"changes"`
}

// Valid reports whether both specs were valid, so the changes are
// meaningful.
func (r Report) Valid() bool { return r.OldValid && r.NewValid }

// Breaking reports whether any change is breaking.
func (r Report) Breaking() bool { return r.Summary.BySeverity[verdict.Breaking] > 0 }

// Compare loads both documents and diffs them. An invalid document yields a
// report with no changes, the validity flags and the reasons.
//
// The two documents are decoded concurrently: YAML decoding is nearly all
// of the cost, and the specs are independent.
func Compare(oldRaw, newRaw []byte) Report {
	var (
		oldSpec *Spec
		oldErr  error
		wg      sync.WaitGroup
	)
	wg.Go(func() { oldSpec, oldErr = Load(oldRaw) })
	newSpec, newErr := Load(newRaw)
	wg.Wait()
	if oldErr == nil && newErr == nil {
		return Diff(oldSpec, newSpec)
	}
	r := Report{OldValid: oldErr == nil, NewValid: newErr == nil, Changes: []Change{}}
	var reasons []string
	if oldErr != nil {
		r.OldReason = reasonOf(oldErr)
		reasons = append(reasons, "old spec: "+r.OldReason)
	}
	if newErr != nil {
		r.NewReason = reasonOf(newErr)
		reasons = append(reasons, "new spec: "+r.NewReason)
	}
	r.Reason = strings.Join(reasons, "; ")
	r.Summary = summarize(nil)
	return r
}

func reasonOf(err error) string {
	var inv *openapi.InvalidSpecError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	return err.Error()
}

// Diff compares two loaded specs. Changes are sorted by operation, location
// (operation, request, response), pointer and kind.
func Diff(oldSpec, newSpec *Spec) Report {
	var changes []Change
	for _, key := range unionKeys(oldSpec.ops, newSpec.ops) {
		o, n := oldSpec.ops[key], newSpec.ops[key]
		switch {
		case n == nil:
			c := ruleOperationRemoved.change("", "", "")
			c.Operation = key
			changes = append(changes, c)
		case o == nil:
			c := ruleOperationAdded.change("", "", "")
			c.Operation = key
			changes = append(changes, c)
		default:
			changes = diffBody(changes, key, LocationRequest, o.request, n.request)
			changes = diffBody(changes, key, LocationResponse, o.response, n.response)
		}
	}
	rank := map[string]int{LocationOperation: 0, LocationRequest: 1, LocationResponse: 2}
	sort.SliceStable(changes, func(i, j int) bool {
		a, b := changes[i], changes[j]
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		if a.Location != b.Location {
			return rank[a.Location] < rank[b.Location]
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		return a.Change < b.Change
	})
	if changes == nil {
		changes = []Change{}
	}
	return Report{OldValid: true, NewValid: true, Summary: summarize(changes), Changes: changes}
}

// diffBody compares one flattened body. An added or removed subtree is
// reported once, at its topmost pointer; a retyped field hides the
// additions and removals beneath it (string -> object is one change).
func diffBody(changes []Change, op, loc string, o, n map[string]field) []Change {
	retyped := map[string]bool{}
	for ptr, nf := range n {
		of, ok := o[ptr]
		if !ok {
			continue
		}
		if of.typ != nf.typ {
			retyped[ptr] = true
		}
	}
	// covered reports whether an ancestor of ptr is itself added/removed
	// (present in this body but not the other) or retyped.
	covered := func(ptr string, this, other map[string]field) bool {
		for p := parent(ptr); p != ptr; ptr, p = p, parent(p) {
			if retyped[p] {
				return true
			}
			if _, inThis := this[p]; inThis {
				if _, inOther := other[p]; !inOther {
					return true
				}
			}
			if p == "" {
				break
			}
		}
		return false
	}
	add := func(c Change) {
		c.Operation = op
		changes = append(changes, c)
	}
	for ptr, nf := range n {
		of, ok := o[ptr]
		if !ok {
			if covered(ptr, n, o) {
				continue
			}
			id, desc := byLocation(loc, ruleRequestAdded, ruleResponseAdded), describe(nf)
			if loc == LocationRequest && nf.required {
				id, desc = ruleRequestAddedRequired, desc+", required"
			}
			add(id.change(ptr, "", desc))
			continue
		}
		if covered(ptr, n, o) {
			continue
		}
		if retyped[ptr] {
			add(byLocation(loc, ruleRequestTypeChanged, ruleResponseTypeChanged).change(ptr, typeName(of.typ), typeName(nf.typ)))
			continue
		}
		if of.format != nf.format {
			add(byLocation(loc, ruleRequestFormatChanged, ruleResponseFormatChanged).change(ptr, of.format, nf.format))
		}
		if of.enum != nf.enum {
			add(byLocation(loc, ruleRequestEnumChanged, ruleResponseEnumChanged).change(ptr, of.enum, nf.enum))
		}
		if loc == LocationRequest && nf.required && !of.required {
			add(ruleRequestBecameRequired.change(ptr, "optional", "required"))
		}
	}
	for ptr, of := range o {
		if _, ok := n[ptr]; ok || covered(ptr, o, n) {
			continue
		}
		add(byLocation(loc, ruleRequestRemoved, ruleResponseRemoved).change(ptr, describe(of), ""))
	}
	return changes
}

// parent returns the pointer one level up; the parent of a top-level field
// is "", the body root, whose parent is itself.
func parent(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ptr
}

func typeName(t string) string {
	if t == "" {
		return "any"
	}
	return t
}

// describe renders a field for Old/New: "integer(int64)", "string enum [...]".
func describe(f field) string {
	s := typeName(f.typ)
	if f.format != "" {
		s += "(" + f.format + ")"
	}
	if f.enum != "" {
		s += " enum " + f.enum
	}
	return s
}

func summarize(changes []Change) Summary {
	s := Summary{Total: len(changes), BySeverity: map[verdict.Severity]int{}, ByChange: map[contract.Change]int{}}
	for _, sev := range verdict.Severities() {
		s.BySeverity[sev] = 0
	}
	for _, kind := range changeKinds() {
		s.ByChange[kind] = 0
	}
	for _, c := range changes {
		s.BySeverity[c.Severity]++
		s.ByChange[c.Change]++
	}
	return s
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// String renders the summary line of the text format.
func (s Summary) String() string {
	return fmt.Sprintf("%d change(s): %d breaking, %d warning, %d info",
		s.Total, s.BySeverity[verdict.Breaking], s.BySeverity[verdict.Warning], s.BySeverity[verdict.Info])
}
