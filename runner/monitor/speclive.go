package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/drift"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// Spec drift meets live drift. A new spec version says what the vendor
// means to serve; the suite jobs' last runs recorded what it serves. Where
// they disagree, on-call wants to know before either side moves:
//   - a field the new spec removed that live responses still carry is
//     "announced, not live yet" (warning): the removal has not shipped, and
//     whatever reads the field has until it does;
//   - a field live responses carry that the new spec never documents is
//     "undocumented, live" (info): it works today, on no promise.
// Operations whose spec leaves data open ({}) document nothing to disagree
// with, and are left out of the second kind.

// liveRunsPerJob is how far back a suite job's history is searched for a
// finished run whose shapes can be read: a run in flight or one that could
// not call has none.
const liveRunsPerJob = 5

// liveShape is what the suite jobs saw of one operation's responses.
type liveShape struct {
	shape drift.Shape
	where string // "job <name>, run <id>": where on-call can look
}

// liveShapes returns the shapes the suite jobs' latest runs recorded for
// family's operations, by bizType, merged over jobs.
func (m *Monitor) liveShapes(ctx context.Context, family string) map[string]liveShape {
	out := map[string]liveShape{}
	for i := range m.cfg.Jobs {
		j := &m.cfg.Jobs[i]
		if j.Kind != "suite" {
			continue
		}
		runs, err := m.store.Runs(ctx, history.Filter{Job: j.Name, Last: liveRunsPerJob})
		if err != nil {
			m.log.Warn("reading a suite job's runs for the spec watch", "job", j.Name, "err", err)
			continue
		}
		for _, r := range runs {
			shapes, ok := runShapes(r.OutDir, family)
			if !ok {
				continue
			}
			for biz, s := range shapes {
				ls := out[biz]
				ls.shape.Merge(s)
				if ls.where == "" {
					ls.where = fmt.Sprintf("job %s, run %s", j.Name, r.ID)
				}
				out[biz] = ls
			}
			break
		}
	}
	return out
}

// runShapes reads the response shapes of family's operations that a
// finished run recorded in its ginkgo.json; false when it recorded none.
func runShapes(outDir, family string) (map[string]drift.Shape, bool) {
	if outDir == "" {
		return nil, false
	}
	raw, err := os.ReadFile(filepath.Join(outDir, "ginkgo.json"))
	if err != nil {
		return nil, false
	}
	var reports []types.Report
	if json.Unmarshal(raw, &reports) != nil {
		return nil, false
	}
	out := map[string]drift.Shape{}
	for _, e := range results.NewIndex(reports).Entries() {
		obs := e.Observation
		if !e.Observed || len(obs.Shape) == 0 || obs.Family != family {
			continue
		}
		s, err := drift.Parse(obs.Shape)
		if err != nil {
			continue
		}
		merged := out[obs.Operation]
		merged.Merge(s)
		out[obs.Operation] = merged
	}
	return out, len(out) > 0
}

// specVsLive lists where the new spec and the live shapes disagree, as
// drift rows of the spec check (pointer "<operation> response <pointer>",
// like the spec's own changes), sorted.
func specVsLive(report specdiff.Report, newSpec *specdiff.Spec, live map[string]liveShape) []contract.Drift {
	var out []contract.Drift
	byOp := map[string]liveShape{}
	for biz, ls := range live {
		if op, ok := newSpec.OperationFor(biz); ok {
			byOp[op] = ls
		}
	}
	// announced marks what the first kind reported: a removed field is not
	// also "undocumented" by the spec that removes it.
	announced := map[string]bool{}
	for _, c := range report.Changes {
		ls, ok := byOp[c.Operation]
		if !ok || c.Change != contract.Removed || c.Location != specdiff.LocationResponse {
			continue
		}
		if f, seen := ls.shape.Fields[c.Pointer]; seen {
			announced[c.Operation+" "+c.Pointer] = true
			out = append(out, contract.Drift{Pointer: c.Operation + " " + specdiff.LocationResponse + " " + c.Pointer,
				Change: contract.AnnouncedNotLive, Severity: verdict.Warning, Baseline: "announced: the new spec removes it",
				Observed: fmt.Sprintf("not live yet: live responses still carry it, %s (%s)", f.Types, ls.where)})
		}
	}
	for op, ls := range byOp {
		if !newSpec.DataDocumented(op) {
			continue
		}
		for _, p := range ls.shape.Pointers() {
			if !strings.HasPrefix(p, "/data/") || announced[op+" "+p] || newSpec.DocumentsResponse(op, p) || !documentedParent(newSpec, op, p) {
				continue // only the top of an undocumented subtree
			}
			out = append(out, contract.Drift{Pointer: op + " " + specdiff.LocationResponse + " " + p,
				Change: contract.UndocumentedLive, Severity: verdict.Info, Baseline: "undocumented: not in the spec",
				Observed: fmt.Sprintf("live: responses carry it, %s (%s)", ls.shape.Fields[p].Types, ls.where)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Change != out[j].Change {
			return out[i].Change < out[j].Change
		}
		return out[i].Pointer < out[j].Pointer
	})
	return out
}

// documentedParent reports whether the spec documents p's parent (data
// itself counts), so an undocumented subtree is reported once, at its top.
func documentedParent(s *specdiff.Spec, op, p string) bool {
	parent := p[:strings.LastIndexByte(p, '/')]
	return parent == "/data" || s.DocumentsResponse(op, parent)
}

// disagreementSummary is the alert's words for the disagreements, or "".
func disagreementSummary(ds []contract.Drift) string {
	n := map[contract.Change]int{}
	for _, d := range ds {
		n[d.Change]++
	}
	var parts []string
	if k := n[contract.AnnouncedNotLive]; k > 0 {
		parts = append(parts, fmt.Sprintf("%d announced, not live yet", k))
	}
	if k := n[contract.UndocumentedLive]; k > 0 {
		parts = append(parts, fmt.Sprintf("%d undocumented, live", k))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; live responses disagree: " + strings.Join(parts, ", ")
}
