package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// The compiled checker's keyword subset: exactly what the generated tree
// uses. compileSchema turns a schema into a tree of nodes; check.go walks a
// body's tokens against it. Anything outside the subset is not guessed at:
// compileSchema names it, and the schema is validated by gojsonschema.

// kind is a JSON type as a bit, so a node's types are one mask.
type kind uint8

const (
	kindNull kind = 1 << iota
	kindBoolean
	kindInteger
	kindNumber
	kindString
	kindArray
	kindObject
)

var kindNames = map[string]kind{
	"null": kindNull, "boolean": kindBoolean, "integer": kindInteger, "number": kindNumber,
	"string": kindString, "array": kindArray, "object": kindObject,
}

// maxRequired bounds "required" so a node tracks which were seen in one
// word; a longer list falls back.
const maxRequired = 64

// node is one compiled (sub)schema. A nil *node accepts anything.
type node struct {
	types    kind   // 0: any type
	expected string // the types as a violation names them: "string|null"

	props    map[string]*node // declared properties; a nil value accepts anything
	required []string
	reqIndex map[string]int // required name -> bit

	noExtra bool  // additionalProperties: false
	extra   *node // additionalProperties' schema; nil accepts anything

	items *node // nil accepts anything
}

// trivial reports whether n accepts every value, so it can be nil.
func (n *node) trivial() bool {
	return n.types == 0 && n.props == nil && n.required == nil && !n.noExtra && n.extra == nil && n.items == nil
}

// drafts are the $schema values whose meaning the subset shares.
var drafts = []string{
	"http://json-schema.org/draft-04/schema#",
	"http://json-schema.org/draft-06/schema#",
	"http://json-schema.org/draft-07/schema#",
}

// unsupported is a keyword or form outside the subset.
type unsupported struct{ pointer, what string }

func (u *unsupported) Error() string { return fmt.Sprintf("%s at %q", u.what, u.pointer) }

// compileSchema compiles raw into a node tree. why is non-empty when raw
// uses something outside the subset (raw is then for gojsonschema alone);
// err is a schema the subset reads as invalid. tree is raw decoded
// (numbers as json.Number), whenever it is JSON: drift detection reads it
// instead of decoding the schema a second time.
func compileSchema(raw []byte) (prog *node, tree any, why string, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, "", err
	}
	c := compiler{}
	n, err := c.node(v, "", true)
	if u, ok := err.(*unsupported); ok {
		return nil, v, u.Error(), nil
	}
	if err != nil {
		return nil, v, "", err
	}
	if n == nil {
		n = &node{} // the empty schema: the root is never nil, so callers need no check
	}
	return n, v, "", nil
}

type compiler struct{}

func (c compiler) node(v any, ptr string, root bool) (*node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		// Boolean schemas (true/false) mean something of their own to
		// gojsonschema (a "false" error); not used by the tree.
		return nil, &unsupported{ptr, typeOf(v) + " as a schema"}
	}
	n := &node{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first unsupported keyword named is stable
	for _, k := range keys {
		val := m[k]
		at := ptr + "/" + escapeToken(k)
		switch k {
		case "$schema":
			s, _ := val.(string)
			if !root || !slices.Contains(drafts, s) {
				return nil, &unsupported{at, fmt.Sprintf("$schema %v", val)}
			}
		case "title", "description", "$comment":
			if _, ok := val.(string); !ok {
				return nil, fmt.Errorf("%s: %s must be a string", at, k)
			}
		case "examples", "default":
			// Annotations: gojsonschema does not validate against them.
		case "format":
			f, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s: format must be a string", at)
			}
			// gojsonschema checks the formats it has a checker for and
			// passes every other name (the tree's int64, int32, double…
			// are documentation). A checked format is outside the subset.
			if gojsonschema.FormatCheckers.Has(f) {
				return nil, &unsupported{at, fmt.Sprintf("format %q", f)}
			}
		case "type":
			if err := n.setTypes(val, at); err != nil {
				return nil, err
			}
		case "properties":
			pm, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: properties must be an object", at)
			}
			n.props = make(map[string]*node, len(pm))
			for name, sub := range pm {
				sn, err := c.node(sub, at+"/"+escapeToken(name), false)
				if err != nil {
					return nil, err
				}
				n.props[name] = sn
			}
		case "items":
			if _, isList := val.([]any); isList {
				return nil, &unsupported{at, "items as a list (tuple validation)"}
			}
			sn, err := c.node(val, at, false)
			if err != nil {
				return nil, err
			}
			n.items = sn
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				n.noExtra = !b
				continue
			}
			sn, err := c.node(val, at, false)
			if err != nil {
				return nil, err
			}
			n.extra = sn
		case "required":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: required must be an array", at)
			}
			if len(list) > maxRequired {
				return nil, &unsupported{at, fmt.Sprintf("more than %d required fields", maxRequired)}
			}
			n.reqIndex = make(map[string]int, len(list))
			for _, r := range list {
				name, ok := r.(string)
				if !ok {
					return nil, fmt.Errorf("%s: required must list strings", at)
				}
				if _, dup := n.reqIndex[name]; dup {
					return nil, fmt.Errorf("%s: required lists %q twice", at, name)
				}
				n.reqIndex[name] = len(n.required)
				n.required = append(n.required, name)
			}
			if len(list) == 0 {
				n.required, n.reqIndex = nil, nil
			}
		default:
			return nil, &unsupported{at, fmt.Sprintf("keyword %q", k)}
		}
	}
	if n.trivial() {
		return nil, nil
	}
	return n, nil
}

// setTypes reads "type": one name or a list, in the schema's order (the
// order a violation's "expected" shows).
func (n *node) setTypes(val any, at string) error {
	var names []string
	switch t := val.(type) {
	case string:
		names = []string{t}
	case []any:
		if len(t) == 0 {
			// gojsonschema reads an empty list as "any type".
			return &unsupported{at, "an empty type list"}
		}
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("%s: type must list names", at)
			}
			names = append(names, s)
		}
	default:
		return fmt.Errorf("%s: type must be a name or a list of names", at)
	}
	for _, name := range names {
		k, ok := kindNames[name]
		if !ok {
			return fmt.Errorf("%s: %q is not a JSON Schema type", at, name)
		}
		if n.types&k != 0 {
			return fmt.Errorf("%s: type %q is listed twice", at, name)
		}
		n.types |= k
	}
	n.expected = strings.Join(names, "|")
	return nil
}

func escapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}
