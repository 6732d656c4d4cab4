package openapi

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule is one overlay correction to an operation's data schema. An overlay
// file, <bizType>.yaml, is a YAML list of rules; every rule states why, so a
// schema is never loosened or tightened silently. A rule has:
//
//   - pointer: a JSON pointer into our data schema ("" is the root), e.g.
//     /properties/accountList;
//   - reason: why our schema differs from the vendor's spec (required);
//   - set: an OpenAPI schema fragment, converted by the importer's own rules
//     (fields nullable unless "nullable: false"), that replaces the node; or
//   - merge: JSON Schema keywords set on the existing node as given, e.g.
//     {type: object, required: [id, customerNo, companyId]}.
//
// See schemas/client/overlays/customer.app.CustomerWebApiService.findCustomerInfo.yaml.
type Rule struct {
	Pointer string         `yaml:"pointer"`
	Reason  string         `yaml:"reason"`
	Set     any            `yaml:"set"`
	Merge   map[string]any `yaml:"merge"`
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
		if (r.Set == nil) == (r.Merge == nil) {
			return nil, fmt.Errorf("rule %d (%q): exactly one of set and merge is required", i+1, r.Pointer)
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
func applyOverlays(root map[string]any, overlays map[string][]Rule, name, dir string, components map[string]any, request bool) (map[string]any, error) {
	rules, ok := overlays[name]
	if !ok {
		return root, nil
	}
	root, err := applyRules(root, rules, components, request)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", overlayName(dir, name), err)
	}
	return root, nil
}

func applyRules(root map[string]any, rules []Rule, components map[string]any, request bool) (map[string]any, error) {
	for i, r := range rules {
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
