// Package specdiff compares two versions of a vendor OpenAPI document the way
// a consumer cares about them: per operation, which request and response
// fields were added, removed, retyped or made required, and which enums and
// formats changed, each classified breaking, warning or info. It is the engine
// behind `mmcontract spec diff` and the monitor's spec-watch job.
//
// The vendor has replaced its published spec with an HTML error page, a JSON
// error object and truncated files. Load therefore validates before anything
// is compared, and Compare reports such a publish as an invalid spec rather
// than as "every operation removed".
//
// Loading flattens every operation once into a map from JSON pointer to the
// field's shape (type, format, enum, required), with $refs resolved, so that
// Diff is a pass over maps and the cost is dominated by YAML decoding.
package specdiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mmcontract/mmcontract/schemas/openapi"
)

// Spec is a validated, flattened OpenAPI document.
type Spec struct {
	ops map[string]*operation // "POST /global/<bizType>"
}

// Operations returns the operation keys ("METHOD path") of the spec, sorted.
func (s *Spec) Operations() []string {
	return sortedKeys(s.ops)
}

// operation holds the flattened request and response bodies of one
// operation. A pointer's map key is relative to the body root: "" is the
// body itself, "/data/list/*/source" a field in it.
type operation struct {
	request  map[string]field
	response map[string]field
}

// field is the structure of one position in a body, nothing else: prose,
// examples and bounds do not change what a consumer must send or parse.
type field struct {
	typ      string // non-null JSON types joined by "|", "" when untyped
	format   string // normalised: long -> int64, int -> int32
	enum     string // canonical JSON of the sorted enum values, "" when none
	required bool   // named in its parent's required list (request side only)
}

// Limits against hostile or broken input: inlining $refs can grow
// exponentially, and nesting can be arbitrarily deep. The largest vendor
// operation has a few thousand fields and fewer than 12 levels.
const (
	maxDepth       = 64
	maxFieldsPerOp = 100000
)

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Validate reports why raw is not a usable OpenAPI 3 document, or nil. The
// error is an *openapi.InvalidSpecError whose Reason says what the bytes are
// instead (an HTML page, an error object, a truncated file...).
func Validate(raw []byte) error {
	_, err := Load(raw)
	return err
}

// Load decodes, validates and flattens an OpenAPI 3 document (YAML or JSON).
// Every error is an *openapi.InvalidSpecError.
//
// The checks extend openapi.Decode's (empty, an HTML page, not YAML, not an
// object, no "openapi: 3.x", no paths) with those that catch a truncated
// publish, which often still parses as YAML: every local $ref an operation
// uses resolves; every operation has responses; structural keywords have the
// JSON kind OpenAPI requires (not the null that "type:" at end of file decodes
// to); type names are JSON types; arrays have items.
func Load(raw []byte) (*Spec, error) {
	doc, err := openapi.Decode(raw)
	if err != nil {
		return nil, err
	}
	l := &loader{doc: doc}
	spec := &Spec{ops: map[string]*operation{}}
	paths := doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		if strings.HasPrefix(p, "x-") {
			continue // a specification extension, not a path
		}
		item, ok := paths[p].(map[string]any)
		if !ok {
			return nil, invalid("path %q is %s, not an object%s", p, openapi.KindOf(paths[p]), truncatedHint(paths[p]))
		}
		item = l.deref(item)
		for _, m := range methods {
			v, present := item[m]
			if !present {
				continue
			}
			raw, ok := v.(map[string]any)
			if !ok {
				return nil, invalid("%s %s is %s, not an operation object%s", strings.ToUpper(m), p, openapi.KindOf(v), truncatedHint(v))
			}
			l.where = strings.ToUpper(m) + " " + p
			op, err := l.operation(raw)
			if err != nil {
				return nil, invalid("%s %s: %s", strings.ToUpper(m), p, err.Error())
			}
			spec.ops[strings.ToUpper(m)+" "+p] = op
		}
	}
	if len(spec.ops) == 0 {
		return nil, invalid("no operations under paths")
	}
	if l.broken != "" {
		return nil, invalid("%s (truncated document?)", l.broken)
	}
	if len(l.dangling) > 0 {
		refs := sortedKeys(l.dangling)
		more := ""
		if len(refs) > 3 {
			more = fmt.Sprintf(" and %d more", len(refs)-3)
			refs = refs[:3]
		}
		return nil, invalid("unresolved $ref %s%s (truncated document?)", strings.Join(refs, ", "), more)
	}
	return spec, nil
}

// truncatedHint explains the usual cause of an empty value where an object
// is required.
func truncatedHint(v any) string {
	if v == nil {
		return " (truncated document?)"
	}
	return ""
}

func invalid(format string, a ...any) error {
	return &openapi.InvalidSpecError{Reason: fmt.Sprintf(format, a...)}
}

// loader resolves references against one document and flattens schemas.
type loader struct {
	doc      map[string]any
	dangling map[string]bool
	// broken is the first schema defect that a file cut short produces:
	// a null after a key ("schema:", "type:"), a scalar where an object is
	// required, a type name cut short ("type: obj").
	broken string
	where  string // the operation being loaded, for the reason
}

// null records a schema defect; the first one becomes the reason.
func (l *loader) null(where string) {
	if l.broken == "" {
		l.broken = l.where + ": " + where
	}
}

// deref follows a chain of local "$ref"s (to path items, request bodies,
// responses or schemas). An external or unresolvable reference yields nil;
// an unresolvable local one is recorded as dangling.
func (l *loader) deref(m map[string]any) map[string]any {
	for range maxDepth {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		next, ok := l.resolve(ref)
		if !ok {
			return nil
		}
		m = next
	}
	return nil
}

func (l *loader) resolve(ref string) (map[string]any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false // external reference: outside what we can check
	}
	var cur any = l.doc
	for _, tok := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			cur = nil
			break
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		if l.dangling == nil {
			l.dangling = map[string]bool{}
		}
		l.dangling[ref] = true
	}
	return m, ok
}

func (l *loader) operation(raw map[string]any) (*operation, error) {
	// OpenAPI requires at least one response per operation; a file cut
	// short in the middle of an operation still parses as YAML, and without
	// this check would read as "response body removed".
	resps, ok := raw["responses"].(map[string]any)
	if !ok || len(resps) == 0 {
		return nil, errors.New("no responses (truncated document?)")
	}
	for _, code := range sortedKeys(resps) {
		if _, ok := resps[code].(map[string]any); !ok {
			return nil, fmt.Errorf("response %s is %s, not an object (truncated document?)", code, openapi.KindOf(resps[code]))
		}
	}
	op := &operation{}
	var err error
	if v, present := raw["requestBody"]; present {
		rb, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("requestBody is not an object (truncated document?)")
		}
		if rb = l.deref(rb); rb != nil {
			schema, err := mediaSchema(rb)
			if err != nil {
				return nil, fmt.Errorf("request: %w", err)
			}
			if op.request, err = l.flatten(schema); err != nil {
				return nil, fmt.Errorf("request: %w", err)
			}
		}
	}
	if resp := l.successResponse(resps); resp != nil {
		schema, err := mediaSchema(resp)
		if err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		if op.response, err = l.flatten(schema); err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
	}
	return op, err
}

// successResponse picks the response a consumer parses: 200, else the
// lowest other 2xx, else default.
func (l *loader) successResponse(resps map[string]any) map[string]any {
	pick := func(code string) map[string]any {
		if m, ok := resps[code].(map[string]any); ok {
			return l.deref(m)
		}
		return nil
	}
	if r := pick("200"); r != nil {
		return r
	}
	for _, code := range sortedKeys(resps) {
		if len(code) == 3 && code[0] == '2' {
			if r := pick(code); r != nil {
				return r
			}
		}
	}
	return pick("default")
}

// mediaSchema returns the JSON media type's schema, else the first media
// type's (sorted), else nil. A null where OpenAPI requires an object is an
// error: it is how a truncated file decodes.
func mediaSchema(m map[string]any) (any, error) {
	v, present := m["content"]
	if !present {
		return nil, nil
	}
	content, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("content is not an object (truncated document?)")
	}
	keys := sortedKeys(content)
	if _, ok := content["application/json"]; ok {
		keys = append([]string{"application/json"}, keys...)
	}
	for _, k := range keys {
		media, ok := content[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("media type %s is not an object (truncated document?)", k)
		}
		schema, present := media["schema"]
		if present && schema == nil {
			return nil, fmt.Errorf("media type %s has an empty schema (truncated document?)", k)
		}
		return schema, nil
	}
	return nil, nil
}

// flatten walks a schema into pointer -> field. A nil schema (no body)
// yields an empty map, which differs from a body of unknown shape ("" ->
// untyped field).
func (l *loader) flatten(schema any) (map[string]field, error) {
	if schema == nil {
		return nil, nil
	}
	f := &flattener{l: l, out: map[string]field{}}
	f.walk(schema, "", false, 0)
	if f.exceeded {
		return nil, fmt.Errorf("schema expands to more than %d fields (recursive $ref fan-out?)", maxFieldsPerOp)
	}
	return f.out, nil
}

type flattener struct {
	l        *loader
	out      map[string]field
	stack    []string // $refs being expanded, the cycle guard
	exceeded bool
}

// walk records the field at ptr and descends into its properties, array
// items ("*") and map values ("*" too: both mean "any member").
func (f *flattener) walk(node any, ptr string, required bool, depth int) {
	if f.exceeded {
		return
	}
	if len(f.out) >= maxFieldsPerOp {
		f.exceeded = true
		return
	}
	s := f.shape(node, depth)
	// The refs expanded to reach this node stay on the stack while its
	// members are walked: they are the ancestors a cycle would revisit.
	defer func() { f.stack = f.stack[:len(f.stack)-s.refs] }()
	f.out[ptr] = field{typ: strings.Join(s.types, "|"), format: s.format, enum: s.enum, required: required}
	if s.cycle || depth >= maxDepth {
		// A recursive type: its members were recorded where it was first
		// expanded.
		return
	}
	for _, name := range sortedKeys(s.props) {
		f.walk(s.props[name], ptr+"/"+escape(name), s.required[name], depth+1)
	}
	if s.hasItems {
		f.walk(s.items, ptr+"/*", false, depth+1)
	}
}

// shapeOf is the merged view of one schema node: refs followed, allOf merged,
// oneOf/anyOf alternatives united.
type shapeOf struct {
	types    []string
	format   string
	enum     string
	props    map[string]any
	required map[string]bool
	items    any // array items or map values
	hasItems bool
	refs     int  // refs pushed onto the stack while resolving this node
	cycle    bool // the node is a reference already being expanded
}

func (f *flattener) shape(node any, depth int) shapeOf {
	var s shapeOf
	f.merge(&s, node, depth, true)
	sort.Strings(s.types)
	return s
}

// merge folds node into s. top is false inside allOf/oneOf/anyOf parts,
// whose required lists only count for allOf.
func (f *flattener) merge(s *shapeOf, node any, depth int, keepRequired bool) {
	m, ok := node.(map[string]any)
	if !ok || depth > maxDepth {
		switch node.(type) {
		case map[string]any, bool:
			// Too deep, or a 3.1 boolean schema: any value.
		default:
			f.l.null(fmt.Sprintf("a schema is %s, not an object", openapi.KindOf(node)))
		}
		return
	}
	for hops := 0; ; hops++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		for _, r := range f.stack {
			if r == ref {
				s.cycle = true
				s.types = appendType(s.types, "object")
				return
			}
		}
		next, ok := f.l.resolve(ref)
		if !ok || hops > maxDepth {
			return
		}
		f.stack = append(f.stack, ref)
		s.refs++
		m = next
	}
	f.check(m)
	if parts, ok := m["allOf"].([]any); ok {
		for _, p := range parts {
			f.merge(s, p, depth+1, keepRequired)
		}
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if parts, ok := m[k].([]any); ok {
			for _, p := range parts {
				f.merge(s, p, depth+1, false)
			}
		}
	}
	for _, t := range typesOf(m) {
		if !jsonTypes[t] {
			// A type name cut short ("type: obj") or misspelt: the field's
			// shape is unknown, so no comparison of it can be trusted.
			f.l.null(fmt.Sprintf("unknown schema type %q", t))
		}
		s.types = appendType(s.types, t)
	}
	if fm, ok := m["format"].(string); ok && fm != "" && s.format == "" {
		s.format = openapi.NormalizeFormat(fm)
	}
	if e := enumOf(m); e != "" && s.enum == "" {
		s.enum = e
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if s.props == nil {
			s.props = map[string]any{}
		}
		for name, p := range props {
			if _, dup := s.props[name]; !dup {
				s.props[name] = p
			}
		}
	}
	if keepRequired {
		if req, ok := m["required"].([]any); ok {
			if s.required == nil {
				s.required = map[string]bool{}
			}
			for _, r := range req {
				if name, ok := r.(string); ok {
					s.required[name] = true
				}
			}
		}
	}
	if !s.hasItems {
		if it, ok := m["items"]; ok {
			s.items, s.hasItems = it, true
		} else if ap, ok := m["additionalProperties"].(map[string]any); ok {
			s.items, s.hasItems = ap, true
		}
	}
}

var jsonTypes = map[string]bool{"string": true, "integer": true, "number": true, "boolean": true,
	"object": true, "array": true}

// check records the structural defects of one schema object: a keyword
// whose value has the wrong JSON kind (null after "type:", a scalar where
// "properties:" needs an object), or an array without "items", which
// OpenAPI 3.0 requires. Each is what a file cut short decodes to.
func (f *flattener) check(m map[string]any) {
	for k, want := range schemaKeywords {
		v, present := m[k]
		if !present {
			continue
		}
		ok := false
		switch v.(type) {
		case string:
			ok = want == "string" || want == "string or list"
		case []any:
			ok = want == "list" || want == "string or list"
		case map[string]any:
			ok = want == "object" || want == "object or boolean"
		case bool:
			ok = want == "boolean" || want == "object or boolean"
		}
		if !ok {
			f.l.null(fmt.Sprintf("schema keyword %q is %s, not %s", k, openapi.KindOf(v), want))
		}
	}
	if t, _ := m["type"].(string); t == "array" {
		if _, ok := m["items"]; !ok {
			f.l.null("an array schema has no items")
		}
	}
}

// schemaKeywords maps the structural keywords to the JSON kind OpenAPI
// requires of their value.
var schemaKeywords = map[string]string{
	"$ref": "string", "type": "string or list", "format": "string", "enum": "list",
	"properties": "object", "items": "object or boolean", "required": "list", "allOf": "list",
	"oneOf": "list", "anyOf": "list", "additionalProperties": "object or boolean", "nullable": "boolean",
}

// typesOf reads "type" as a string (3.0) or list (3.1) without "null", and
// infers object/array from properties/items when it is missing.
func typesOf(m map[string]any) []string {
	var types []string
	switch t := m["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				types = append(types, s)
			}
		}
	}
	if len(types) == 0 {
		if _, ok := m["properties"]; ok {
			types = []string{"object"}
		} else if _, ok := m["items"]; ok {
			types = []string{"array"}
		}
	}
	out := types[:0]
	for _, t := range types {
		// Nullability is not a type change for us: the importer makes every
		// vendor field nullable whatever the spec says.
		if t != "null" && t != "" {
			out = append(out, t)
		}
	}
	return out
}

func appendType(types []string, t string) []string {
	for _, x := range types {
		if x == t {
			return types
		}
	}
	return append(types, t)
}

// enumOf returns the canonical form of the enum (or const): the JSON array
// of its non-null values, sorted, so that reordering is not a change.
func enumOf(m map[string]any) string {
	var vals []any
	if e, ok := m["enum"].([]any); ok {
		vals = e
	} else if v, ok := m["const"]; ok {
		vals = []any{v}
	}
	if len(vals) == 0 {
		return ""
	}
	strs := make([]string, 0, len(vals))
	for _, v := range vals {
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf("%q", fmt.Sprint(v)))
		}
		strs = append(strs, string(b))
	}
	sort.Strings(strs)
	strs = dedupe(strs)
	return "[" + strings.Join(strs, ",") + "]"
}

// escape encodes a property name as a JSON pointer token.
func escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
