package openapi

import (
	"fmt"
	"sort"
	"strings"
)

// maxDepth bounds schema nesting. The vendor's deepest response is under 10
// levels; anything deeper is hostile or broken input and becomes "any" rather
// than a stack overflow.
const maxDepth = 64

// neverNull names fields the vendor never sends as null whatever the spec
// says: record ids. Everything else a Java backend may serialise as null.
var neverNull = map[string]bool{"id": true}

// converter turns OpenAPI 3.0/3.1 schema objects into JSON Schema (draft-07)
// carrying structure only: type, format, enum, properties, items, required,
// additionalProperties. Prose (title, description, example) is dropped on
// purpose, and so, for responses, are bounds (minLength, maximum...).
type converter struct {
	components map[string]any // components.schemas
	stack      []string       // $ref names being expanded, for the cycle guard
	// request converts a request body: the spec's "required" lists and its
	// bounds are kept (they are what the vendor enforces on what we send),
	// and fields are nullable only where the spec says so, since we never
	// need to send a null. Off for responses (see Import) because the
	// vendor's own examples contradict their required lists.
	request bool
	// budget bounds the nodes one operation may expand to; inlining $refs
	// can otherwise grow exponentially on hostile input.
	budget   int
	exceeded bool
}

// nodeBudget is far above the largest vendor operation (a few thousand nodes).
const nodeBudget = 200000

// convert returns the JSON Schema for node. nullable is the default
// nullability of the position (vendor fields are nullable); an explicit
// "nullable" in node overrides it.
func (c *converter) convert(node any, nullable bool, depth int) map[string]any {
	m, ok := node.(map[string]any)
	if !ok || depth > maxDepth {
		return map[string]any{}
	}
	c.budget--
	if c.budget < 0 {
		c.exceeded = true
		return map[string]any{}
	}
	if v, ok := m["nullable"].(bool); ok {
		nullable = v
	}
	if ref, ok := m["$ref"].(string); ok {
		return c.ref(ref, nullable, depth)
	}
	if parts, ok := m["allOf"].([]any); ok && len(parts) > 0 {
		return c.allOf(parts, nullable, depth)
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if parts, ok := m[k].([]any); ok && len(parts) > 0 {
			alts := make([]any, 0, len(parts)+1)
			for _, p := range parts {
				alts = append(alts, c.convert(p, false, depth+1))
			}
			if nullable {
				alts = append(alts, map[string]any{"type": "null"})
			}
			return map[string]any{"anyOf": alts}
		}
	}

	types := schemaTypes(m)
	out := map[string]any{}
	if len(types) == 0 {
		// Untyped: any value. An enum still constrains it.
		if e := enumOf(m, false); e != nil {
			out["enum"] = e
		}
		return out
	}
	if nullable && !contains(types, "null") {
		types = append(types, "null")
	}
	if len(types) == 1 {
		out["type"] = types[0]
	} else {
		ts := make([]any, len(types))
		for i, t := range types {
			ts[i] = t
		}
		out["type"] = ts
	}
	if f, ok := m["format"].(string); ok && f != "" {
		out["format"] = NormalizeFormat(f)
	}
	if e := enumOf(m, contains(types, "null")); e != nil {
		out["enum"] = e
	}
	if contains(types, "object") {
		props := map[string]any{}
		if ps, ok := m["properties"].(map[string]any); ok {
			for name, p := range ps {
				props[name] = c.convert(p, !c.request && !neverNull[name], depth+1)
			}
		}
		if len(props) > 0 {
			out["properties"] = props
		}
		if c.request {
			if req := stringList(m["required"]); len(req) > 0 {
				out["required"] = toAny(req)
			}
		}
		switch ap := m["additionalProperties"].(type) {
		case bool:
			if !ap {
				out["additionalProperties"] = false
			}
		case map[string]any:
			out["additionalProperties"] = c.convert(ap, true, depth+1)
		}
	}
	if contains(types, "array") {
		// Array elements are not fields: a Java list does not carry nulls.
		out["items"] = c.convert(m["items"], false, depth+1)
	}
	if c.request {
		for _, k := range requestBounds {
			if n, ok := count(m[k]); ok {
				out[k] = n
			}
		}
	}
	return out
}

// requestBounds are the size bounds a request schema keeps: the vendor
// refuses a body outside them (an empty symbol list where one is required,
// a userName longer than its column). Numeric ranges and patterns are left
// out: the spec writes Java regexes and ranges the gateway does not check.
var requestBounds = []string{"minItems", "maxItems", "minLength", "maxLength"}

// count reads a non-negative whole number as YAML (int) or JSON (float64)
// decodes it.
func count(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), n >= 0
	case int64:
		return n, n >= 0
	case uint64:
		return int64(n), n <= 1<<62
	case float64:
		return int64(n), n >= 0 && n <= 1<<62 && n == float64(int64(n))
	}
	return 0, false
}

// ref expands a local component reference inline. Inlining keeps every data
// schema self-contained, which the simulator and drift detection rely on. A
// reference to a component already being expanded (a recursive type such as a
// dictionary tree) becomes an object with no declared properties.
func (c *converter) ref(ref string, nullable bool, depth int) map[string]any {
	const prefix = "#/components/schemas/"
	if !strings.HasPrefix(ref, prefix) {
		return map[string]any{} // external or unsupported reference: any
	}
	name := unescapePointer(strings.TrimPrefix(ref, prefix))
	target, ok := c.components[name]
	if !ok {
		return map[string]any{}
	}
	for _, s := range c.stack {
		if s == name {
			t := any("object")
			if nullable {
				t = []any{"object", "null"}
			}
			return map[string]any{"type": t}
		}
	}
	c.stack = append(c.stack, name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	return c.convert(target, nullable, depth+1)
}

// allOf merges the object parts of an allOf into one object schema.
func (c *converter) allOf(parts []any, nullable bool, depth int) map[string]any {
	props := map[string]any{}
	var req []string
	for _, p := range parts {
		s := c.convert(p, false, depth+1)
		if ps, ok := s["properties"].(map[string]any); ok {
			for k, v := range ps {
				props[k] = v
			}
		}
		for _, r := range stringList(s["required"]) {
			req = append(req, r)
		}
	}
	out := map[string]any{"type": "object"}
	if nullable {
		out["type"] = []any{"object", "null"}
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	if len(req) > 0 {
		out["required"] = toAny(req)
	}
	return out
}

// schemaTypes reads "type" as a string (3.0) or a list (3.1), inferring
// object/array from properties/items when the type is missing.
func schemaTypes(m map[string]any) []string {
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
	valid := types[:0]
	for _, t := range types {
		switch t {
		case "string", "integer", "number", "boolean", "object", "array", "null":
			if !contains(valid, t) {
				valid = append(valid, t)
			}
		}
	}
	return valid
}

// enumOf returns the enum (or const) values, with null added when the
// position is nullable so that the two keywords agree.
func enumOf(m map[string]any, nullable bool) []any {
	var vals []any
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		vals = append(vals, e...)
	} else if v, ok := m["const"]; ok {
		vals = []any{v}
	}
	if vals == nil {
		return nil
	}
	if nullable {
		hasNull := false
		for _, v := range vals {
			if v == nil {
				hasNull = true
			}
		}
		if !hasNull {
			vals = append(vals, nil)
		}
	}
	return vals
}

// NormalizeFormat maps the vendor's Java-flavoured formats onto the OpenAPI
// names, so that "long" and "int64" do not read as a format change.
func NormalizeFormat(f string) string {
	switch strings.ToLower(f) {
	case "long":
		return "int64"
	case "int":
		return "int32"
	}
	return f
}

func stringList(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, l...)
	}
	sort.Strings(out)
	return dedupe(out)
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

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// normalize turns YAML-decoded values into JSON-compatible ones: maps with
// non-string keys (an unquoted 200: response code) get string keys.
func normalize(v any, depth int) any {
	if depth > 512 {
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x, depth+1)
		}
		return t
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = normalize(x, depth+1)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = normalize(x, depth+1)
		}
		return t
	}
	return v
}
