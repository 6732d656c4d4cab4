package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/internal/oneline"
)

// Rule is one overlay correction to an operation's data schema. An overlay
// file, <bizType>.yaml, is a YAML list of rules; every rule states why, so a
// schema is never loosened or tightened silently. A rule has:
//
//   - pointer: a JSON pointer into our data schema ("" is the root), e.g.
//     /properties/accountList;
//   - reason: why our schema differs from the vendor's spec (required);
//   - and exactly one action:
//   - set: an OpenAPI schema fragment, converted by the importer's own rules
//     (fields nullable unless "nullable: false"), that replaces the node;
//   - merge: JSON Schema keywords set on the existing node as given, e.g.
//     {type: object, required: [id, customerNo, companyId]};
//   - derive: example, with source: the vendor's published example it
//     comes from: the node (the root only) is replaced by a structure-only
//     schema inferred from that example's data, marked "example-derived" in
//     its $comment. For operations whose spec documents no data schema but
//     whose examples show one;
//   - open: true: the node (the root only) stays a schema that accepts
//     anything, and its $comment says why. An empty data schema without
//     this is an import error, so none stays open silently.
//
// See schemas/client/overlays/customer.app.CustomerWebApiService.findCustomerInfo.yaml.
type Rule struct {
	Pointer string         `yaml:"pointer"`
	Reason  string         `yaml:"reason"`
	Set     any            `yaml:"set"`
	Merge   map[string]any `yaml:"merge"`
	Derive  string         `yaml:"derive"`
	Source  string         `yaml:"source"`
	Open    bool           `yaml:"open"`
}

// Markers of a data schema's $comment: how a schema that the spec left empty
// was filled, or why it stays open. Tests and the README list them.
const (
	ExampleDerivedMarker = "example-derived from "
	OpenMarker           = "open: "
)

// deriveExample is the one derive source the importer knows.
const deriveExample = "example"

func (r *Rule) actions() int {
	n := 0
	for _, set := range []bool{r.Set != nil, r.Merge != nil, r.Derive != "", r.Open} {
		if set {
			n++
		}
	}
	return n
}

// loadOverlays reads every *.yaml in dir of fsys ("." for the data schema
// overlays, RequestDir for the request schema ones), keyed by the schema file
// name it corrects (<bizType>.json). A missing RequestDir means none.
func loadOverlays(fsys fs.FS, dir string) (map[string][]Rule, error) {
	out := map[string][]Rule{}
	if fsys == nil {
		return out, nil
	}
	entries, err := fs.ReadDir(fsys, dir)
	if dir != "." && errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("overlays: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".yaml" {
			continue
		}
		file := path.Join(dir, e.Name())
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("overlay %s: %w", file, err)
		}
		rules, err := ParseOverlay(b)
		if err != nil {
			return nil, fmt.Errorf("overlay %s: %w", file, err)
		}
		out[strings.TrimSuffix(e.Name(), ".yaml")+".json"] = rules
	}
	return out, nil
}

// ParseOverlay decodes and checks one overlay file strictly: unknown keys,
// a missing reason, or a rule with neither or both of set and merge are
// errors.
func ParseOverlay(b []byte) ([]Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var rules []Rule
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if len(rules) == 0 {
		return nil, errors.New("no rules")
	}
	for i := range rules {
		r := &rules[i]
		r.Set = normalize(r.Set, 0)
		if r.Merge != nil {
			r.Merge = normalize(r.Merge, 0).(map[string]any)
		}
		if strings.TrimSpace(r.Reason) == "" {
			return nil, fmt.Errorf("rule %d (%q): reason is required", i+1, r.Pointer)
		}
		if r.actions() != 1 {
			return nil, fmt.Errorf("rule %d (%q): exactly one of set, merge, derive and open is required", i+1, r.Pointer)
		}
		if r.Derive != "" && r.Derive != deriveExample {
			return nil, fmt.Errorf("rule %d (%q): derive %q: the only source is %q", i+1, r.Pointer, r.Derive, deriveExample)
		}
		if (r.Derive != "") != (strings.TrimSpace(r.Source) != "") {
			return nil, fmt.Errorf("rule %d (%q): derive and source go together (source names the example)", i+1, r.Pointer)
		}
		if (r.Derive != "" || r.Open) && r.Pointer != "" {
			return nil, fmt.Errorf("rule %d (%q): derive and open apply to the whole schema (pointer \"\")", i+1, r.Pointer)
		}
		if r.Pointer != "" && !strings.HasPrefix(r.Pointer, "/") {
			return nil, fmt.Errorf("rule %d: pointer %q must be empty or start with /", i+1, r.Pointer)
		}
	}
	return rules, nil
}

// applyOverlays applies the rules for the schema file name, if any, in
// order to root: a data schema, or with request a request schema (whose
// "set" fragments are converted as request bodies are). dir is where the
// overlay sits, for the error.
func applyOverlays(root map[string]any, overlays map[string][]Rule, name, dir string, components map[string]any, request bool, examples []json.RawMessage) (map[string]any, error) {
	rules, ok := overlays[name]
	if !ok {
		return root, nil
	}
	root, err := applyRules(root, rules, components, request, examples)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", overlayName(dir, name), err)
	}
	return root, nil
}

func applyRules(root map[string]any, rules []Rule, components map[string]any, request bool, examples []json.RawMessage) (map[string]any, error) {
	for i, r := range rules {
		switch {
		case r.Open:
			if len(root) > 0 {
				return nil, fmt.Errorf("rule %d: open, but the schema is not empty (stale overlay?)", i+1)
			}
			root = map[string]any{"$comment": OpenMarker + oneline.First(r.Reason, oneline.MaxMessage)}
			continue
		case r.Derive != "":
			data, ok := exampleData(examples)
			if !ok {
				return nil, fmt.Errorf("rule %d: derive example: the operation has no published example with data", i+1)
			}
			root = inferSchema(data, true, 0)
			root["$comment"] = ExampleDerivedMarker + oneline.First(r.Source, oneline.MaxMessage)
			continue
		}
		var val any
		if r.Set != nil {
			conv := &converter{components: components, request: request, budget: nodeBudget}
			val = conv.convert(r.Set, !request, 0)
		}
		if r.Pointer == "" {
			if r.Set != nil {
				root = val.(map[string]any)
				continue
			}
			mergeInto(root, r.Merge)
			continue
		}
		tokens := strings.Split(r.Pointer[1:], "/")
		parent, err := walk(root, tokens[:len(tokens)-1])
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i+1, r.Pointer, err)
		}
		last := unescapePointer(tokens[len(tokens)-1])
		pm, ok := parent.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rule %d (%s): parent is not an object", i+1, r.Pointer)
		}
		if r.Set != nil {
			pm[last] = val
			continue
		}
		node, ok := pm[last].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rule %d (%s): no schema at pointer to merge into", i+1, r.Pointer)
		}
		mergeInto(node, r.Merge)
	}
	return root, nil
}

func mergeInto(node, merge map[string]any) {
	for k, v := range merge {
		if k == "required" {
			v = toAny(stringList(v))
		}
		node[k] = v
	}
}

// walk follows JSON pointer tokens through maps and lists.
func walk(node any, tokens []string) (any, error) {
	for _, raw := range tokens {
		tok := unescapePointer(raw)
		switch n := node.(type) {
		case map[string]any:
			next, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("no %q in the schema (stale overlay?)", tok)
			}
			node = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("bad index %q", tok)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("cannot descend into %q", tok)
		}
	}
	return node, nil
}

func overlayName(dir, schemaFile string) string {
	return path.Join("overlays", dir, strings.TrimSuffix(schemaFile, ".json")+".yaml")
}

// exampleData returns the "data" of the first published example that has
// one (not null), preferring a success envelope (code "0" or ok true).
func exampleData(examples []json.RawMessage) (any, bool) {
	var fallback any
	for _, ex := range examples {
		var env struct {
			Code any             `json:"code"`
			OK   *bool           `json:"ok"`
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(ex, &env) != nil || len(env.Data) == 0 || string(env.Data) == "null" {
			continue
		}
		var data any
		if json.Unmarshal(env.Data, &data) != nil {
			continue
		}
		if env.Code == "0" || (env.OK != nil && *env.OK) {
			return data, true
		}
		if fallback == nil {
			fallback = data
		}
	}
	return fallback, fallback != nil
}

// inferSchema is the structure-only schema of an example value, by the
// importer's policy: every field nullable (a Java backend serialises unset
// fields as null), no field required, undocumented fields allowed, array
// items from the union of the elements' fields. A number is "number": an
// example's 0 does not say a field is never a decimal. A null says nothing
// about the type, so it constrains nothing.
func inferSchema(v any, nullable bool, depth int) map[string]any {
	typed := func(t string) map[string]any {
		if nullable {
			return map[string]any{"type": []any{t, "null"}}
		}
		return map[string]any{"type": t}
	}
	if depth > maxDepth {
		return map[string]any{}
	}
	switch x := v.(type) {
	case map[string]any:
		out := typed("object")
		props := map[string]any{}
		for k, fv := range x {
			props[k] = inferSchema(fv, !neverNull[k], depth+1)
		}
		if len(props) > 0 {
			out["properties"] = props
		}
		return out
	case []any:
		out := typed("array")
		merged := map[string]any{}
		var item any
		for _, el := range x {
			if m, ok := el.(map[string]any); ok {
				for k, fv := range m {
					if _, seen := merged[k]; !seen || fv != nil {
						merged[k] = fv
					}
				}
				item = merged
			} else if item == nil {
				item = el
			}
		}
		// Array elements are not fields: a Java list does not carry nulls.
		out["items"] = inferSchema(item, false, depth+1)
		if item == nil {
			out["items"] = map[string]any{}
		}
		return out
	case string:
		return typed("string")
	case float64:
		return typed("number")
	case bool:
		return typed("boolean")
	}
	return map[string]any{}
}
