package signing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// ErrBody is wrapped when a request body cannot take part in signing: it is
// not a single JSON object. The message never quotes the body.
var ErrBody = errors.New("request body is not a JSON object")

// decodeObject parses body as one JSON object. Numbers stay json.Number so
// that their text is signed exactly as sent ("1.50" must not become "1.5").
// An empty or all-whitespace body is the empty object: the vendor's calls
// are all POST-with-JSON, and a bodiless call carries no parameters.
func decodeObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBody, syntaxOnly(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the object", ErrBody)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: top level is %s", ErrBody, jsonKind(v))
	}
	return m, nil
}

// syntaxOnly describes a decode error without echoing body content: a
// json.SyntaxError's text can quote the offending character, which is
// harmless, but an UnmarshalTypeError can name values; keep only offsets.
func syntaxOnly(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "truncated JSON"
	}
	return "invalid JSON"
}

// jsonKind names v's JSON kind, with its article, for a message.
func jsonKind(v any) string {
	k := jsontok.BeginObject
	switch v.(type) {
	case nil:
		k = jsontok.Null
	case bool:
		k = jsontok.Bool
	case json.Number:
		k = jsontok.Number
	case string:
		k = jsontok.String
	case []any:
		k = jsontok.BeginArray
	}
	return k.Article()
}

// compareJava orders strings as Java's String.compareTo does (and therefore
// TreeMap, which the vendor's Java code uses): by UTF-16 code units. Byte
// order of UTF-8 agrees except when comparing a supplementary character
// (surrogate pair, 0xD800..) with a BMP character in U+E000..U+FFFF, so the
// fast path handles ASCII and the rest falls back to UTF-16.
func compareJava(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
				return int(a[i]) - int(b[i])
			}
			return compareUTF16(a[i:], b[i:])
		}
	}
	return len(a) - len(b)
}

func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	n := min(len(ua), len(ub))
	for i := 0; i < n; i++ {
		if ua[i] != ub[i] {
			return int(ua[i]) - int(ub[i])
		}
	}
	return len(ua) - len(ub)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareJava)
	return keys
}

// writeCanonical serialises v the way a Java JSON library (fastjson, hutool,
// Jackson with ORDER_MAP_ENTRIES_BY_KEYS) serialises a sorted map: compact,
// object keys in Java order at every depth, members whose value is null
// omitted at every depth (the default of fastjson and hutool), array
// elements kept in order with null elements written as null, numbers as
// their original JSON text, strings escaped minimally (see writeJavaString).
func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		b.WriteString(string(x))
	case string:
		writeJavaString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		first := true
		for _, k := range sortedKeys(x) {
			if x[k] == nil {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeJavaString(b, k)
			b.WriteByte(':')
			writeCanonical(b, x[k])
		}
		b.WriteByte('}')
	}
}

// writeJavaString writes s as a JSON string the way fastjson does by
// default: only the quote, the backslash and control characters are escaped;
// non-ASCII, '/', '<', '>' and '&' are written as they are (unlike
// encoding/json, which would turn '<' into \u003c and change the signature).
func writeJavaString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
