package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// envelopePointers are the members whose changes alter how every caller tells
// success from failure; any change to them is envelope_semantics.
var envelopePointers = map[string]bool{"/code": true, "/ok": true, "/fail": true}

// Diff compares an observed shape with the accepted baseline of operation and
// returns the differences, sorted by pointer, change kind and observed value.
// Each difference is a row of the rules table (Rules); the package
// documentation explains presence and types.
func Diff(operation string, baseline, observed Shape) []contract.Drift {
	var out []contract.Drift
	add := func(pointer string, id ruleID, base, obs, newType string) {
		if envelopePointers[pointer] && id != ruleAdded && id != ruleEnumAdded {
			id = ruleEnvelopeSemantics
		}
		out = append(out, id.drift(operation, pointer, base, obs, newType))
	}

	for _, p := range unionPointers(baseline, observed) {
		b, inB := baseline.Fields[p]
		o, inO := observed.Fields[p]
		wildcard := lastSegment(p) == "*"
		switch {
		case !inB:
			// Only the top of a new subtree is reported: its members add
			// nothing a reviewer needs and would multiply alerts.
			if parent := parentPointer(p); parent != "" {
				if _, ok := baseline.Fields[parent]; !ok {
					continue
				}
			}
			add(p, ruleAdded, "absent", o.Types.String(), fingerprintType(o.Types))

		case !inO:
			// Removed only if it was always there and the observation gave it
			// a chance to appear: an empty array, or a parent that was null or
			// itself removed, is reported at the parent instead.
			if wildcard || !baseline.Always(p) || observed.opportunities(p) == 0 {
				continue
			}
			add(p, ruleRemoved, "always", "absent", "absent")

		default:
			added := o.Types &^ b.Types
			if b.Types.Has(Number) {
				added &^= TypeSet(Integer) // integer is a number; number never promised a fraction
			}
			if concrete := added &^ TypeSet(Null); concrete != 0 {
				id := ruleTypeChanged
				if b.Types == TypeSet(Null) {
					// The baseline never saw a value, so it knows no type to break.
					id = ruleTypedFromNull
				}
				add(p, id, b.Types.String(), o.Types.String(), concrete.String())
			}
			if added.Has(Null) {
				add(p, ruleBecameNull, b.Types.String(), o.Types.String(), "null")
			}
			if len(b.Values) > 0 {
				switch {
				case o.ValuesDropped:
					add(p, ruleEnumAdded, strings.Join(b.Values, "|"),
						"more than "+strconv.Itoa(MaxEnumValues)+" values or values that are not codes", "*")
				default:
					for _, v := range o.Values {
						if !containsValue(b.Values, v) {
							add(p, ruleEnumAdded, strings.Join(b.Values, "|"), v, v)
						}
					}
				}
			}
			if !wildcard && baseline.Always(p) && !observed.Always(p) && observed.opportunities(p) > 0 {
				add(p, ruleBecameOptional, "always", "sometimes", "sometimes")
			}
		}
	}

	if len(baseline.OKCodes) > 0 {
		for _, c := range observed.OKCodes {
			if !containsValue(baseline.OKCodes, c) {
				add("/code", ruleEnvelopeSemantics,
					"ok=true with code "+strings.Join(baseline.OKCodes, "|"), "ok=true with code "+c, "ok:"+c)
			}
		}
	}
	SortDrift(out)
	return out
}

// SortDrift sorts drift stably by pointer, change kind and observed value, the
// order every report shows.
func SortDrift(ds []contract.Drift) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Change != b.Change {
			return a.Change < b.Change
		}
		return a.Observed < b.Observed
	})
}

// Fingerprint identifies one difference across runs and process restarts, so
// alerts can deduplicate on it: the hex of the first 16 bytes of a SHA-256
// over operation, pointer, change kind and the new type (or new value), each
// length-prefixed so that no two tuples hash the same input.
func Fingerprint(operation, pointer string, change contract.Change, newType string) string {
	h := sha256.New()
	for _, part := range []string{operation, pointer, string(change), newType} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

// fingerprintType is the "new type" of an added pointer: its non-null types,
// so that a new field that is sometimes null keeps one fingerprint.
func fingerprintType(t TypeSet) string {
	if nn := t &^ TypeSet(Null); nn != 0 {
		return nn.String()
	}
	return t.String()
}

// Verdict maps drift to the verdict it implies on its own: broken for any
// breaking drift, drifted for warning or info only, pass for none. Callers
// combine it with the check's other findings using verdict.Worst.
func Verdict(ds []contract.Drift) verdict.Verdict { return contract.WorstSeverity(ds).Verdict() }

func unionPointers(a, b Shape) []string {
	seen := make(map[string]bool, len(a.Fields)+len(b.Fields))
	out := make([]string, 0, len(a.Fields)+len(b.Fields))
	for _, s := range []Shape{a, b} {
		for p := range s.Fields {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
