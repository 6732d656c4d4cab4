package drift

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/schemas"
)

// maxRefHops bounds $ref chains so that a schema referring to itself cannot
// loop.
const maxRefHops = 32

// Schema is a data schema parsed for drift: immutable once parsed (its
// memo of pointer lookups is safe for concurrent use), so one value serves
// every response of its operation, from any goroutine.
type Schema struct {
	w schemaWalker
	// docs memoises, per observed pointer, what the schema says of it:
	// the lookup walks generic JSON and was most of a response's drift
	// check, and it depends on the pointer alone. Bounded by maxDocs, so
	// map-like objects with ever new keys cannot grow it without end.
	docs     sync.Map // pointer -> *pointerDoc
	docCount atomic.Int64

	skelOnce sync.Once
	skel     *skeleton
}

// maxDocs bounds Schema.docs; pointers beyond it are looked up each time.
const maxDocs = 10000

// pointerDoc is what a schema says of one pointer under /data.
type pointerDoc struct {
	schemas []any  // the schemas describing it; nil when undocumented
	null    bool   // some describing schema allows null
	types   string // the describing schemas' types, for the drift text
	// tolerated are the types a describing schema accepts only because the
	// vendor's documents disagree (schemas.ToleratedMarker): seeing one is
	// worth telling on-call, not failing the check.
	tolerated TypeSet
}

// doc returns what the schema says of p, whose parent is described by
// parent (unused for /data itself).
func (s *Schema) doc(p string, parent []any) *pointerDoc {
	if d, ok := s.docs.Load(p); ok {
		return d.(*pointerDoc)
	}
	d := &pointerDoc{}
	if p == "/data" {
		d.schemas = []any{s.w.root}
	} else {
		d.schemas = s.w.member(parent, lastSegment(p))
	}
	if d.schemas != nil {
		d.null, d.types = s.w.anyAllowsNull(d.schemas), s.w.describeTypes(d.schemas)
		d.tolerated = toleratedTypes(d.schemas)
	}
	if s.docCount.Add(1) <= maxDocs {
		s.docs.Store(p, d)
	}
	return d
}

// ParseSchema parses the JSON Schema (draft-07) of an operation's data
// member, as the schemas package provides it. An error means the schema
// itself is not JSON: a harness bug, since schemas are compiled at start.
func ParseSchema(dataSchema []byte) (*Schema, error) {
	var root any
	if err := json.Unmarshal(dataSchema, &root); err != nil {
		return nil, err
	}
	return SchemaOfTree(root), nil
}

// SchemaOfTree is ParseSchema for a schema decoded already, as
// schemas.Set.DataSchemaTree gives it (numbers may be json.Number): the
// Schema only reads it, so it may be shared.
func SchemaOfTree(root any) *Schema {
	w := schemaWalker{root: root, patterns: map[string]*regexp.Regexp{}}
	collectPatterns(root, w.patterns)
	return &Schema{w: w}
}

// DiffSchema computes drift for an operation that has no baseline yet against
// its data schema, parsing the schema for this one call. A run diffs many
// responses against one schema: it keeps one Schema per operation (and
// builds its Trackers on it, NewSchemaTracker). See Schema.Diff for the
// rules.
func DiffSchema(operation string, dataSchema []byte, observed Shape) ([]contract.Drift, error) {
	s, err := ParseSchema(dataSchema)
	if err != nil {
		return nil, fmt.Errorf("drift of %s against its schema: %w", operation, err)
	}
	return s.Diff(operation, observed), nil
}

// Diff computes the drift of observed, a shape of operation, against the
// schema. Only pointers under /data are judged; the envelope has its own
// schema and invariants.
//
//   - A pointer the schema does not describe is added/info, whether or not
//     additionalProperties would allow it: "allowed" is not "documented", and
//     an undocumented field is exactly what the team wants to hear about.
//     Only the top of an undocumented subtree is reported. An
//     additionalProperties (or patternProperties) schema object documents
//     map-like objects, whose keys are data, so their members are described.
//   - null where every describing schema forbids null is became_null/breaking.
//
// Both are rows of the rules table (Rules). The Baseline column reads
// "undocumented" or the schema's types.
func (s *Schema) Diff(operation string, observed Shape) []contract.Drift {
	pointers := observed.Pointers()
	return s.diffEach(operation, len(pointers), false, func(i int) (string, Field, *skelNode) {
		return pointers[i], observed.Fields[pointers[i]], nil
	})
}

// diffEach is Diff over a shape's fields in sorted order, at(i) being the
// i-th of n. With viaNodes, at gives each pointer of s's skeleton with its
// node, which holds what the schema says of it already, and nil for the
// others; without, nil for all.
func (s *Schema) diffEach(operation string, n int, viaNodes bool, at func(int) (string, Field, *skelNode)) []contract.Drift {
	var out []contract.Drift
	// described maps each visited pointer outside the skeleton to the
	// schemas describing it; nil means undocumented. Sorted order visits
	// parents before children.
	described := map[string][]any{}
	for i := range n {
		p, f, node := at(i)
		if p != "/data" && !strings.HasPrefix(p, "/data/") {
			continue
		}
		var d *pointerDoc
		switch {
		case node != nil:
			d = node.doc
		case p == "/data":
			d = s.doc(p, nil)
		default:
			parent, ok := described[parentPointer(p)]
			if !ok && viaNodes {
				// A parent the skeleton holds was visited as a node.
				if pn := s.skeleton().byPtr[parentPointer(p)]; pn != nil && pn.doc != nil {
					parent, ok = pn.doc.schemas, true
				}
			}
			if !ok || parent == nil {
				described[p] = nil // inside an undocumented subtree, or under an unvisited parent
				continue
			}
			d = s.doc(p, parent)
		}
		if node == nil {
			described[p] = d.schemas
		}
		if d.schemas == nil {
			out = append(out, ruleUndocumented.drift(operation, p, "undocumented", f.Types.String(), fingerprintType(f.Types)))
			continue
		}
		if f.Types.Has(Null) && !d.null {
			out = append(out, ruleSchemaNull.drift(operation, p, d.types, f.Types.String(), "null"))
		}
		if seen := f.Types & d.tolerated; seen != 0 {
			out = append(out, ruleSchemaTolerated.drift(operation, p, d.types, f.Types.String(), seen.String()))
		}
	}
	SortDrift(out)
	return out
}

// toleratedTypes reads the tolerated types of the schemas describing a
// pointer from their $comment: schemas.ToleratedMarker, then the JSON type
// names, separated by "|", up to the first space ("tolerated: object
// because ...").
func toleratedTypes(describing []any) TypeSet {
	var out TypeSet
	for _, sc := range describing {
		m, _ := sc.(map[string]any)
		comment, _ := m["$comment"].(string)
		rest, ok := strings.CutPrefix(comment, schemas.ToleratedMarker)
		if !ok {
			continue
		}
		names, _, _ := strings.Cut(rest, " ")
		for _, name := range strings.Split(names, "|") {
			for _, tn := range typeNames {
				if tn.name == name {
					out |= TypeSet(tn.t)
				}
			}
		}
	}
	return out
}

// collectPatterns compiles every patternProperties key of the schema tree
// once, at parse time; a key that does not compile matches nothing.
func collectPatterns(node any, into map[string]*regexp.Regexp) {
	switch n := node.(type) {
	case map[string]any:
		if pats, ok := n["patternProperties"].(map[string]any); ok {
			for pat := range pats {
				if _, done := into[pat]; !done {
					re, _ := regexp.Compile(pat) // nil on error
					into[pat] = re
				}
			}
		}
		for _, v := range n {
			collectPatterns(v, into)
		}
	case []any:
		for _, v := range n {
			collectPatterns(v, into)
		}
	}
}

type schemaWalker struct {
	root     any
	patterns map[string]*regexp.Regexp // compiled patternProperties keys; read-only after parsing
}

// resolve follows a local $ref ("#/definitions/x", "#/$defs/x", "#").
func (w schemaWalker) resolve(ref string) (any, bool) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false // remote references are not produced by the schemas package
	}
	node := w.root
	if frag == "" {
		return node, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		if node, ok = m[unescapeToken(tok)]; !ok {
			return nil, false
		}
	}
	return node, true
}

// flatten lists the object schemas that apply to a value described by s:
// s itself and everything reachable through $ref, allOf, anyOf and oneOf.
// Property lookup is a union over them, which is the lenient reading drift
// wants: a field documented in any branch is documented.
func (w schemaWalker) flatten(s any, hops int, out []map[string]any) []map[string]any {
	m, ok := s.(map[string]any)
	if !ok || hops > maxRefHops {
		return out
	}
	out = append(out, m)
	if ref, ok := m["$ref"].(string); ok {
		if target, ok := w.resolve(ref); ok {
			out = w.flatten(target, hops+1, out)
		}
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		branches, _ := m[kw].([]any)
		for _, b := range branches {
			out = w.flatten(b, hops+1, out)
		}
	}
	return out
}

// member returns the schemas describing segment seg (escaped) of a value
// described by parents; nil when none does.
func (w schemaWalker) member(parents []any, seg string) []any {
	var out []any
	for _, p := range parents {
		for _, m := range w.flatten(p, 0, nil) {
			if seg == "*" {
				switch items := m["items"].(type) {
				case map[string]any, bool:
					out = append(out, items)
					continue
				case []any: // draft-07 tuple form
					out = append(out, items...)
					continue
				}
			}
			key := unescapeToken(seg)
			if props, ok := m["properties"].(map[string]any); ok {
				if s, ok := props[key]; ok {
					out = append(out, s)
					continue
				}
			}
			if pats, ok := m["patternProperties"].(map[string]any); ok {
				for pat, s := range pats {
					if re := w.patterns[pat]; re != nil && re.MatchString(key) {
						out = append(out, s)
					}
				}
			}
			if ap, ok := m["additionalProperties"].(map[string]any); ok {
				out = append(out, ap)
			}
		}
	}
	return out
}

// anyAllowsNull is true when at least one describing schema admits null.
func (w schemaWalker) anyAllowsNull(schemas []any) bool {
	for _, s := range schemas {
		if w.allowsNull(s, 0) {
			return true
		}
	}
	return false
}

func (w schemaWalker) allowsNull(s any, hops int) bool {
	switch s := s.(type) {
	case bool:
		return s
	case map[string]any:
		if hops > maxRefHops {
			return true
		}
		if t, ok := s["type"]; ok && !typeListHas(t, "null") {
			return false
		}
		if enum, ok := s["enum"].([]any); ok && !containsNil(enum) {
			return false
		}
		if c, ok := s["const"]; ok && c != nil {
			return false
		}
		if ref, ok := s["$ref"].(string); ok {
			if target, ok := w.resolve(ref); ok && !w.allowsNull(target, hops+1) {
				return false
			}
		}
		if all, ok := s["allOf"].([]any); ok {
			for _, b := range all {
				if !w.allowsNull(b, hops+1) {
					return false
				}
			}
		}
		for _, kw := range []string{"anyOf", "oneOf"} {
			if branches, ok := s[kw].([]any); ok {
				some := false
				for _, b := range branches {
					some = some || w.allowsNull(b, hops+1)
				}
				if !some {
					return false
				}
			}
		}
		return true
	}
	return true // not a schema: nothing forbids null
}

// describeTypes renders the types the schemas allow, for the Baseline column.
func (w schemaWalker) describeTypes(schemas []any) string {
	var set TypeSet
	add := func(name any) {
		if n, ok := name.(string); ok {
			if t, ok := parseType(n); ok {
				set |= TypeSet(t)
			}
		}
	}
	for _, s := range schemas {
		for _, m := range w.flatten(s, 0, nil) {
			switch t := m["type"].(type) {
			case string:
				add(t)
			case []any:
				for _, x := range t {
					add(x)
				}
			}
		}
	}
	if set == 0 {
		return "non-null"
	}
	return set.String()
}

func typeListHas(t any, name string) bool {
	switch t := t.(type) {
	case string:
		return t == name
	case []any:
		for _, x := range t {
			if x == name {
				return true
			}
		}
	}
	return false
}

func containsNil(vs []any) bool {
	for _, v := range vs {
		if v == nil {
			return true
		}
	}
	return false
}
