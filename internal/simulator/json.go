package simulator

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
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
		return appendString(b, x)
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
			b = appendString(b, f.k)
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
			b = appendString(b, e)
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

const hexDigits = "0123456789abcdef"

// appendString renders s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does, so only the invalid-utf8 scenario (which writes raw
// bytes on purpose) can put invalid UTF-8 on the wire.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
