package results

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// Index is the one place that joins a run's checks to Ginkgo's spec
// reports: every check of the run (a spec the label filter selected, or a
// failed setup node) under its check id, with its observation decoded once,
// and every exchange the observations recorded, under its exchange id.
// results.json, junit.xml, the HTML report and `baseline accept` all read
// the report through one Index, so they cannot join differently.
//
// Check ids are unique within the report: the id of a spec text is the hash
// of that text (stable across runs), and a later spec with the same text
// gets the hash of the text and its ordinal among them, so two specs with
// one text never collide.
type Index struct {
	entries   []Entry
	byID      map[string]int
	exchanges map[string]*contract.Exchange
}

// Entry is one check's spec report and observation.
type Entry struct {
	ID   string
	Spec *types.SpecReport
	// Report is the index of the Ginkgo report (of the ones indexed) the
	// spec belongs to.
	Report      int
	Observation contract.Observation
	Observed    bool  // the spec recorded an observation
	Err         error // the recorded observation could not be decoded
}

// NewIndex indexes reports (ginkgo.json holds a list; a run writes one).
func NewIndex(reports []types.Report) *Index {
	ix := &Index{byID: map[string]int{}, exchanges: map[string]*contract.Exchange{}}
	seen := map[string]int{}
	for ri := range reports {
		selected := Selector(reports[ri])
		for si := range reports[ri].SpecReports {
			spec := &reports[ri].SpecReports[si]
			var key string
			switch {
			case spec.LeafNodeType != types.NodeTypeIt:
				if !spec.State.Is(types.SpecStateFailureStates) {
					continue // a setup node that passed is no check
				}
				key = setupText(*spec)
			case !selected(*spec):
				continue
			default:
				key = spec.FullText()
			}
			seen[key]++
			id := CheckID(key)
			if n := seen[key]; n > 1 {
				id = CheckID(key + "\x00" + strconv.Itoa(n))
			}
			e := Entry{ID: id, Spec: spec, Report: ri}
			e.Observation, e.Observed, e.Err = ix.decode(spec)
			ix.byID[id] = len(ix.entries)
			ix.entries = append(ix.entries, e)
		}
	}
	return ix
}

// Entries are the run's checks in report order.
func (ix *Index) Entries() []Entry { return ix.entries }

// Lookup finds a check by its id.
func (ix *Index) Lookup(id string) (*Entry, bool) {
	i, ok := ix.byID[id]
	if !ok {
		return nil, false
	}
	return &ix.entries[i], true
}

// Exchange is the exchange obs looked at: the one it carries, or the one
// another observation recorded under its exchange id; nil when none.
func (ix *Index) Exchange(obs contract.Observation) *contract.Exchange {
	if obs.Exchange != nil {
		return obs.Exchange
	}
	if obs.ExchangeID == "" {
		return nil
	}
	return ix.exchanges[obs.ExchangeID]
}

// decode reads the spec's observation (the last one, if a flake retry
// recorded several) and keeps every exchange any of its entries recorded.
func (ix *Index) decode(spec *types.SpecReport) (contract.Observation, bool, error) {
	var obs contract.Observation
	found := false
	var err error
	for _, e := range spec.ReportEntries {
		if e.Name != contract.EntryName {
			continue
		}
		o, ok, derr := decodeEntry(e)
		if derr != nil {
			err = derr
			continue
		}
		if !ok {
			continue
		}
		obs, found, err = o, true, nil
		if x := o.Exchange; x != nil && x.ID != "" {
			ix.exchanges[x.ID] = x
		}
	}
	return obs, found, err
}

// decodeEntry reads one observation entry. In-process the entry holds the
// Go value; read back from ginkgo.json it holds only its JSON.
func decodeEntry(e types.ReportEntry) (contract.Observation, bool, error) {
	var none contract.Observation
	raw := []byte(e.Value.AsJSON)
	switch v := e.Value.GetRawValue().(type) {
	case contract.Observation:
		return v, true, nil
	case *contract.Observation:
		if v != nil {
			return *v, true, nil
		}
		return none, false, nil
	case nil:
		if len(raw) == 0 {
			return none, false, nil
		}
	default:
		if len(raw) == 0 {
			b, err := json.Marshal(v)
			if err != nil {
				return none, false, fmt.Errorf("observation %q: %w", contract.EntryName, err)
			}
			raw = b
		}
	}
	var o contract.Observation
	if err := json.Unmarshal(raw, &o); err != nil {
		return none, false, fmt.Errorf("observation %q: %w", contract.EntryName, err)
	}
	return o, true, nil
}

func setupText(spec types.SpecReport) string {
	return spec.LeafNodeType.String() + " " + spec.LeafNodeText
}
