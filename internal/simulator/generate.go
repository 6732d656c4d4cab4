package simulator

import (
	"encoding/json"
	"hash/fnv"
	"sort"
	"strconv"
)

// generatedOp serves a client operation that has a catalog entry and a data
// schema but no handcrafted data, with data generated from the schema. Its
// routing (version, group, login) comes from the catalog.
func (s *Simulator) generatedOp(bizType string) *op {
	if s.opts.Schemas == nil {
		return nil
	}
	if o, ok := s.generated.Load(bizType); ok {
		return o.(*op)
	}
	cat, ok := s.opts.Schemas.Operation("client", bizType)
	if !ok || cat.Path != "global" {
		return nil
	}
	raw, ok := s.opts.Schemas.DataSchema("client", bizType)
	if !ok {
		return nil
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil
	}
	version := cat.Version
	if version == "" {
		version = "0.0.1"
	}
	data := generate(schema, seedOf(bizType), 0)
	o := &op{
		bizType: bizType, version: version, group: cat.Group, login: cat.Login,
		build: func(*Simulator, *call) (any, error) { return data, nil },
	}
	// The cache is bounded by the catalog: only catalog entries get here.
	actual, _ := s.generated.LoadOrStore(bizType, o)
	return actual.(*op)
}

func seedOf(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// maxGenDepth bounds recursion through self-similar schemas.
const maxGenDepth = 8

// generate builds a deterministic value for a JSON Schema: objects get every
// property in sorted order, arrays two items, strings "str-N", integers and
// numbers derived from the seed, enums their first value. A field whose only
// non-null type is unknown is null, as the Java backend leaves it.
func generate(schema map[string]any, seed uint32, depth int) any {
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	typ := ""
	switch t := schema["type"].(type) {
	case string:
		typ = t
	case []any:
		for _, x := range t {
			if name, _ := x.(string); name != "null" && typ == "" {
				typ = name
			}
		}
	}
	if typ == "" {
		if _, ok := schema["properties"]; ok {
			typ = "object"
		}
	}
	seed = seed*1664525 + 1013904223
	switch typ {
	case "object":
		props, _ := schema["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(obj, 0, len(keys))
		for i, k := range keys {
			sub, _ := props[k].(map[string]any)
			var v any
			if depth < maxGenDepth && sub != nil {
				v = generate(sub, seed+uint32(i)*7919, depth+1)
			}
			out = append(out, kv{k, v})
		}
		return out
	case "array":
		items, _ := schema["items"].(map[string]any)
		if items == nil || depth >= maxGenDepth {
			return []any{}
		}
		return []any{generate(items, seed+1, depth+1), generate(items, seed+2, depth+1)}
	case "string":
		return "str-" + strconv.FormatUint(uint64(seed%1000), 10)
	case "integer":
		return int64(1000 + seed%100000)
	case "number":
		return float64(seed%10000) / 100
	case "boolean":
		return seed%2 == 0
	}
	return nil
}
