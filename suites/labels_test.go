package suites

import (
	"slices"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/schemas"
)

// Ensure every spec's labels are those given where the run's label filter
// judges them (Env.selects): its describe container's, or a catalog spec's
// own. A spec that added labels inside a labelled container could be left
// out of a filtered run's tree although Ginkgo's filter would select it.
func TestSpecLabelsAreJudgedWhereGiven(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	var judged [][]string
	env := &Env{Schemas: set, Redactor: redact.New(redact.Config{}), Simulator: true,
		Selects: func(labels []string) bool {
			judged = append(judged, slices.Clone(labels))
			return true
		}}
	if err := Register(env); err != nil {
		t.Fatal(err)
	}
	preview := ginkgo.PreviewSpecs("mmcontract")
	specs := 0
	for _, spec := range preview.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			continue
		}
		specs++
		labels := spec.Labels()
		found := slices.ContainsFunc(judged, func(j []string) bool {
			return slices.Equal(sortedCopy(j), sortedCopy(labels))
		})
		if !found {
			t.Errorf("spec %q has labels %v, which no filter decision saw", spec.FullText(), labels)
		}
		// The labels come from one place: a labelled container holds
		// no labelled spec, and a labelled spec sits in no labelled container.
		containerLabelled := false
		for _, ls := range spec.ContainerHierarchyLabels {
			containerLabelled = containerLabelled || len(ls) > 0
		}
		if containerLabelled && len(spec.LeafNodeLabels) > 0 {
			t.Errorf("spec %q adds labels %v inside a labelled container", spec.FullText(), spec.LeafNodeLabels)
		}
	}
	if specs < 100 {
		t.Fatalf("only %d specs in the tree", specs)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}
