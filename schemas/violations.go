package schemas

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xeipuuv/gojsonschema"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// keywords maps gojsonschema's error types onto the JSON Schema keyword
// that failed, the vocabulary a reader of the schema file knows.
var keywords = map[string]string{
	"invalid_type":                    "type",
	"required":                        "required",
	"enum":                            "enum",
	"const":                           "const",
	"additional_property_not_allowed": "additionalProperties",
	"number_any_of":                   "anyOf",
	"number_one_of":                   "oneOf",
	"number_all_of":                   "allOf",
	"format":                          "format",
	"array_min_items":                 "minItems",
	"array_max_items":                 "maxItems",
	"string_gte":                      "minLength",
	"string_lte":                      "maxLength",
	"number_gte":                      "minimum",
	"number_lte":                      "maximum",
	"pattern":                         "pattern",
	"unique":                          "uniqueItems",
}

// maxSeen bounds a quoted string value in Seen: enough to recognise it, not
// enough to leak a document.
const maxSeen = 40

func (s *Set) violations(errs []gojsonschema.ResultError, prefix string) []contract.Violation {
	out := make([]contract.Violation, 0, len(errs))
	for _, e := range errs {
		tokens := contextTokens(e.Context())
		kw, ok := keywords[e.Type()]
		if !ok {
			kw = e.Type()
		}
		v := contract.Violation{Keyword: kw}
		switch e.Type() {
		case "required":
			tokens = append(tokens, fmt.Sprint(e.Details()["property"]))
			v.Expected = "present"
			v.Seen = "absent"
			v.Message = "required field is missing"
		case "additional_property_not_allowed":
			tokens = append(tokens, fmt.Sprint(e.Details()["property"]))
			v.Expected = "no undeclared fields"
			v.Seen = "present"
			v.Message = "field is not declared by the schema"
		case "invalid_type":
			v.Expected = typeList(fmt.Sprint(e.Details()["expected"]))
			v.Seen = s.describe(e.Value(), lastToken(tokens))
			v.Message = fmt.Sprintf("type is %s, want %s", typeOf(e.Value()), v.Expected)
		case "enum":
			v.Expected = "one of " + fmt.Sprint(e.Details()["allowed"])
			v.Seen = s.describe(e.Value(), lastToken(tokens))
			v.Message = "value is not one of the allowed values"
		default:
			v.Seen = s.describe(e.Value(), lastToken(tokens))
			v.Message = s.redactor.Text(e.Description())
		}
		v.Pointer = prefix + pointer(tokens)
		out = append(out, v)
	}
	return finish(out)
}

// SortViolations sorts by (pointer, keyword, message, expected, seen): a
// stable order for reports and failure messages, since gojsonschema's own
// order varies from run to run.
func SortViolations(vs []contract.Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Keyword != b.Keyword {
			return a.Keyword < b.Keyword
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		if a.Expected != b.Expected {
			return a.Expected < b.Expected
		}
		return a.Seen < b.Seen
	})
}

// contextTokens splits gojsonschema's context into unescaped path tokens.
// Its dotted Field() cannot be used: a property name may contain a dot.
func contextTokens(c *gojsonschema.JsonContext) []string {
	if c == nil {
		return nil
	}
	parts := strings.Split(c.String("\x00"), "\x00")
	if len(parts) > 0 && parts[0] == gojsonschema.STRING_CONTEXT_ROOT {
		parts = parts[1:]
	}
	return parts
}

func lastToken(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[len(tokens)-1]
}

// pointer builds an RFC 6901 JSON pointer from tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

// typeList renders gojsonschema's "[string,null]" as "string|null".
func typeList(s string) string {
	s = strings.Trim(s, "[]")
	return strings.ReplaceAll(s, ",", "|")
}

func typeOf(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if t == float64(int64(t)) {
			return "integer"
		}
		return "number"
	case int, int64:
		return "integer"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// describe renders the value seen: its type, plus the value itself for
// scalars. The value passes through the redactor keyed by its field name, so
// a sensitive field (email, token...) shows a mask, and any learned secret is
// scrubbed.
func (s *Set) describe(v any, key string) string {
	t := typeOf(v)
	switch x := v.(type) {
	case nil:
		return "null"
	case []any:
		return fmt.Sprintf("array (%d items)", len(x))
	case map[string]any:
		return fmt.Sprintf("object (%d fields)", len(x))
	}
	if key != "" {
		b, err := json.Marshal(map[string]any{key: v})
		if err == nil {
			var masked map[string]any
			dec := json.NewDecoder(strings.NewReader(string(s.redactor.JSON(b))))
			dec.UseNumber()
			if dec.Decode(&masked) == nil {
				if mv, ok := masked[key]; ok {
					v = mv
				}
			}
		}
	}
	var val string
	switch x := v.(type) {
	case string:
		// Scrub before truncating: a cut secret no longer matches.
		x = s.redactor.Text(x)
		if utf8.RuneCountInString(x) > maxSeen {
			x = string([]rune(x)[:maxSeen]) + "…"
		}
		val = fmt.Sprintf("%q", x)
	default:
		val = fmt.Sprint(x)
	}
	return s.redactor.Text(t + " " + val)
}

// describeNonJSON names what came instead of JSON (an HTML WAF page, a
// gateway error text) by its first bytes, scrubbed of learned secrets.
func (s *Set) describeNonJSON(b []byte) string {
	n := len(b)
	head := strings.TrimSpace(string(b[:min(n, 16)]))
	if !utf8.ValidString(head) {
		head = ""
	}
	return s.redactor.Text(fmt.Sprintf("%d bytes starting %q", n, head))
}
