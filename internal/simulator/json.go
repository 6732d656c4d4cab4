package simulator

import (
	"encoding/json"
	"strconv"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// obj is a JSON object that keeps its keys in insertion order. The vendor's
// Java backend emits fields in a stable order; keeping ours stable makes every
// simulated body byte-for-byte deterministic, and an ordered slice makes the
// contract scenarios (add, drop, retype a field) one-line edits.
type obj []kv

type kv struct {
	k string
	v any
}

// with returns a copy of o with key k set to v, replacing it in place when
// present and appending it otherwise. The receiver is never modified, so cached
// objects can be shared between requests.
func (o obj) with(k string, v any) obj {
	out := make(obj, len(o), len(o)+1)
	copy(out, o)
	for i := range out {
		if out[i].k == k {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{k, v})
}

// without returns a copy of o without key k.
func (o obj) without(k string) obj {
	out := make(obj, 0, len(o))
	for _, f := range o {
		if f.k != k {
			out = append(out, f)
		}
	}
	return out
}

// get returns the value under k.
func (o obj) get(k string) (any, bool) {
	for _, f := range o {
		if f.k == k {
			return f.v, true
		}
	}
	return nil, false
}

// MarshalJSON renders o with its keys in order.
func (o obj) MarshalJSON() ([]byte, error) { return appendJSON(nil, o), nil }

// rawJSON is pre-rendered JSON inserted verbatim, including deliberately
// malformed fragments used by the fault scenarios.
type rawJSON []byte

// appendJSON renders v as JSON onto b. It covers the value types the simulator
// builds (obj, slices, strings, integers, floats, bools, nil, json.Number and
// raw fragments) without reflection, which keeps the per-request cost of the
// big list responses low; anything else falls back to encoding/json.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return jsontok.AppendString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case json.Number:
		return append(b, x...)
	case rawJSON:
		return append(b, x...)
	case obj:
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontok.AppendString(b, f.k)
			b = append(b, ':')
			b = appendJSON(b, f.v)
		}
		return append(b, '}')
	case []obj:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontok.AppendString(b, e)
		}
		return append(b, ']')
	default:
		enc, err := json.Marshal(x)
		if err != nil {
			// Only simulator-built values reach here; a failure is a bug in
			// a data builder, rendered as null rather than a broken body.
			return append(b, "null"...)
		}
		return append(b, enc...)
	}
}
