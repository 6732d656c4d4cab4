package suites

import (
	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// OperationKey names one operation across the API families, e.g.
// "client customer.app.CustomerWebApiService.findCustomerInfo": Open API
// operations share their bizTypes with the Client API.
func OperationKey(family, bizType string) string {
	if family == "" {
		family = "client"
	}
	return family + " " + bizType
}

// OperationOf names the operation a spec of the tree checks (OperationKey),
// or "" for a node that checks none. Every spec of one operation, its
// negative specs included, maps to the same key, so a sharded run keeps an
// operation's specs together.
func (e *Env) OperationOf(spec types.SpecReport) string {
	if op, ok := e.specOps[spec.FullText()]; ok {
		return op
	}
	if len(spec.ContainerHierarchyTexts) > 0 {
		return e.specOps[spec.ContainerHierarchyTexts[0]]
	}
	return ""
}

// includes reports whether op's specs belong in this run's tree: all of
// them, unless the runner narrowed the run to a shard (Env.Include).
func (e *Env) includes(op Operation) bool {
	return e.Include == nil || e.Include(OperationKey(op.Family, op.BizType))
}

// selects reports whether the run's label filter (Env.Selects) selects a
// spec labelled labels. Every spec's labels are those of the one call that
// labels it: its describe container's, or a catalog spec's own; no spec
// adds labels inside a labelled container, so this is Ginkgo's answer.
func (e *Env) selects(labels []string) bool {
	return e.Selects == nil || e.Selects(labels)
}

// note records that the specs under text (a top-level container, or a
// catalog spec's full text) check op.
func (e *Env) note(text string, op Operation) {
	if e.specOps == nil {
		e.specOps = map[string]string{}
	}
	e.specOps[text] = OperationKey(op.Family, op.BizType)
}

// describe adds op's top-level container. Its body runs when Ginkgo builds
// the tree, once for a preview and once for the run; an operation outside
// the run's shard, or whose labels the run's label filter rejects, gets an
// empty container, so its specs are not in the run's report at all (not
// counted, not in JUnit or HTML). A container given no labels is not judged:
// its specs carry their whole label sets and are judged one by one (it).
func (e *Env) describe(op Operation, text string, labels []string, body func()) {
	e.note(text, op)
	Describe(text, Label(labels...), func() {
		if e.includes(op) && (len(labels) == 0 || e.selects(labels)) {
			body()
		}
	})
}

// it adds a spec with its whole label set, inside a container given no
// labels (describe), if the run's label filter selects it: a filter naming
// one lifecycle's method (addMarketOrder) or one socket command
// (heartbeat) selects that spec, as Ginkgo's own filter would.
func (e *Env) it(text string, labels Labels, args ...any) {
	if e.selects(labels) {
		It(text, append([]any{labels}, args...)...)
	}
}
