package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// FormatVersion is the version of the shape and baseline file format. It
// changes only when an old file could be misread by a new binary.
const FormatVersion = 1

// Limits on the code values a shape keeps. They keep baselines small and keep
// anything that is not a short code (names, emails, free text) out of them.
const (
	// MaxEnumValues is the number of distinct values beyond which a field is
	// no longer considered enum-like and its values are dropped.
	MaxEnumValues = 20
	// MaxEnumValueLen is the longest value, in bytes, that is recorded.
	MaxEnumValueLen = 32
)

// Type is one JSON type as drift distinguishes them.
type Type uint8

// The JSON types, in their canonical display order. Integer is a number
// written without fraction or exponent, whatever its magnitude.
const (
	String Type = 1 << iota
	Integer
	Number
	Boolean
	Object
	Array
	Null
)

var typeNames = []struct {
	t    Type
	name string
}{
	{String, "string"}, {Integer, "integer"}, {Number, "number"}, {Boolean, "boolean"},
	{Object, "object"}, {Array, "array"}, {Null, "null"},
}

// TypeSet is a set of Types.
type TypeSet uint8

// Has reports whether t is in the set.
func (s TypeSet) Has(t Type) bool { return s&TypeSet(t) != 0 }

// Names lists the set's types in canonical order.
func (s TypeSet) Names() []string {
	var out []string
	for _, tn := range typeNames {
		if s.Has(tn.t) {
			out = append(out, tn.name)
		}
	}
	return out
}

// String renders the set as drift reports show it, e.g. "string|null"; the
// empty set is "none".
func (s TypeSet) String() string {
	if s == 0 {
		return "none"
	}
	return strings.Join(s.Names(), "|")
}

// MarshalJSON writes the set as an array of type names in canonical order.
func (s TypeSet) MarshalJSON() ([]byte, error) {
	names := s.Names()
	if names == nil {
		names = []string{}
	}
	return json.Marshal(names)
}

// UnmarshalJSON reads an array of type names; an unknown name is an error.
func (s *TypeSet) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("types must be an array of type names: %w", err)
	}
	var set TypeSet
	for _, n := range names {
		t, ok := parseType(n)
		if !ok {
			return fmt.Errorf("unknown type %q (want one of %s)", n, strings.Join(allTypeNames(), ", "))
		}
		set |= TypeSet(t)
	}
	*s = set
	return nil
}

func parseType(name string) (Type, bool) {
	for _, tn := range typeNames {
		if tn.name == name {
			return tn.t, true
		}
	}
	return 0, false
}

func allTypeNames() []string {
	out := make([]string, len(typeNames))
	for i, tn := range typeNames {
		out[i] = tn.name
	}
	return out
}

// Field is what a shape knows about one JSON pointer.
type Field struct {
	// Types is every JSON type seen at the pointer.
	Types TypeSet
	// Seen is the number of times the pointer was present: once per parent
	// object that had the member, once per item for an array wildcard.
	Seen int
	// Objects is how many of those occurrences were objects. It is the
	// denominator of the presence of this field's members.
	Objects int
	// Values is the sorted set of code values seen, for enum-like fields only.
	Values []string
	// ValuesDropped records that the field stopped being enum-like (too many
	// distinct values, or a value that is not a short code). It is sticky
	// under Merge so a dropped field never starts collecting values again.
	ValuesDropped bool
}

// fieldJSON is Field's file form. Its members are declared in alphabetical
// order so that files have sorted keys throughout.
type fieldJSON struct {
	Objects       int      `json:"objects,omitempty"`
	Seen          int      `json:"seen"`
	Types         []string `json:"types"`
	Values        []string `json:"values,omitempty"`
	ValuesDropped bool     `json:"valuesDropped,omitempty"`
}

// shapeJSON is Shape's file form, with alphabetical members.
type shapeJSON struct {
	Fields  map[string]fieldJSON `json:"fields"`
	OKCodes []string             `json:"okCodes,omitempty"`
	Samples int                  `json:"samples"`
	Version int                  `json:"version"`
}

// Shape summarises the responses of one operation: see the package
// documentation for the presence rules. The zero Shape is empty and ready to
// Merge into.
type Shape struct {
	// Samples is the number of responses merged into the shape.
	Samples int
	// Fields maps each JSON pointer of the response body to what was seen there.
	Fields map[string]Field
	// OKCodes is the sorted set of envelope /code values seen on responses
	// whose /ok was true: the vendor's "success" codes ("0").
	OKCodes []string
}

// Merge adds other's samples to s. Counts add up, type sets and value sets are
// united; a value set that grows beyond MaxEnumValues is dropped.
func (s *Shape) Merge(other Shape) {
	s.Samples += other.Samples
	if len(other.Fields) > 0 && s.Fields == nil {
		s.Fields = make(map[string]Field, len(other.Fields))
	}
	for p, of := range other.Fields {
		f, ok := s.Fields[p]
		if !ok {
			f.Values = append([]string(nil), of.Values...)
			f.Types, f.Seen, f.Objects, f.ValuesDropped = of.Types, of.Seen, of.Objects, of.ValuesDropped
			s.Fields[p] = f
			continue
		}
		f.Types |= of.Types
		f.Seen += of.Seen
		f.Objects += of.Objects
		if f.ValuesDropped || of.ValuesDropped {
			f.ValuesDropped, f.Values = true, nil
		} else {
			f.Values = unionValues(f.Values, of.Values)
			if len(f.Values) > MaxEnumValues {
				f.ValuesDropped, f.Values = true, nil
			}
		}
		s.Fields[p] = f
	}
	s.OKCodes = unionValues(s.OKCodes, other.OKCodes)
	if len(s.OKCodes) > MaxEnumValues {
		s.OKCodes = s.OKCodes[:MaxEnumValues]
	}
}

// Always reports whether pointer p was present every time it could have been:
// in every response for a top-level member, in every occurrence of its parent
// object otherwise. It is false for absent pointers and for array wildcards,
// whose presence is never judged.
func (s Shape) Always(p string) bool {
	f, ok := s.Fields[p]
	if !ok || lastSegment(p) == "*" {
		return false
	}
	n := s.opportunities(p)
	return n > 0 && f.Seen >= n
}

// opportunities is the number of times pointer p could have been present: the
// number of responses for a top-level member, the number of times its parent
// was an object otherwise.
func (s Shape) opportunities(p string) int {
	parent := parentPointer(p)
	if parent == "" {
		return s.Samples
	}
	return s.Fields[parent].Objects
}

// Presence describes p's presence as reports show it: "always", "sometimes"
// or "absent".
func (s Shape) Presence(p string) string {
	if _, ok := s.Fields[p]; !ok {
		return "absent"
	}
	if s.Always(p) {
		return "always"
	}
	return "sometimes"
}

// Pointers lists the shape's pointers in sorted order.
func (s Shape) Pointers() []string {
	out := make([]string, 0, len(s.Fields))
	for p := range s.Fields {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// MarshalJSON writes the file form of the shape: sorted keys, canonical type
// order, sorted values.
func (s Shape) MarshalJSON() ([]byte, error) {
	sj := shapeJSON{Fields: make(map[string]fieldJSON, len(s.Fields)), Samples: s.Samples, Version: FormatVersion}
	for p, f := range s.Fields {
		types := f.Types.Names()
		if types == nil {
			types = []string{}
		}
		sj.Fields[p] = fieldJSON{Objects: f.Objects, Seen: f.Seen, Types: types,
			Values: sortedValues(f.Values), ValuesDropped: f.ValuesDropped}
	}
	sj.OKCodes = sortedValues(s.OKCodes)
	return json.Marshal(sj)
}

// UnmarshalJSON decodes a shape strictly: unknown keys, unknown types, a wrong
// version and inconsistent counts are errors (see Validate).
func (s *Shape) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var sj shapeJSON
	if err := dec.Decode(&sj); err != nil {
		return describeJSONError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	if sj.Version != FormatVersion {
		return fmt.Errorf("version is %d, this mmcontract reads version %d", sj.Version, FormatVersion)
	}
	out := Shape{Samples: sj.Samples, Fields: make(map[string]Field, len(sj.Fields)), OKCodes: sortedValues(sj.OKCodes)}
	ptrs := make([]string, 0, len(sj.Fields))
	for p := range sj.Fields {
		ptrs = append(ptrs, p)
	}
	sort.Strings(ptrs) // the first error reported must not depend on map order
	for _, p := range ptrs {
		f := sj.Fields[p]
		var types TypeSet
		for _, n := range f.Types {
			t, ok := parseType(n)
			if !ok {
				return fmt.Errorf("field %q: unknown type %q (want one of %s)", p, n, strings.Join(allTypeNames(), ", "))
			}
			types |= TypeSet(t)
		}
		out.Fields[p] = Field{Types: types, Seen: f.Seen, Objects: f.Objects,
			Values: sortedValues(f.Values), ValuesDropped: f.ValuesDropped}
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*s = out
	return nil
}

// Validate checks that the shape is internally consistent, so that a
// hand-edited baseline cannot silently change what Diff reports. Errors name
// the offending pointer.
func (s Shape) Validate() error {
	if s.Samples < 0 {
		return fmt.Errorf("samples is %d, want at least 0", s.Samples)
	}
	if s.Samples == 0 && len(s.Fields) > 0 {
		return errors.New("samples is 0 but fields are present")
	}
	if err := checkValues("okCodes", s.OKCodes); err != nil {
		return err
	}
	for _, p := range s.Pointers() {
		f := s.Fields[p]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("field %q: %s", p, fmt.Sprintf(format, args...))
		}
		if err := checkPointer(p); err != nil {
			return bad("%v", err)
		}
		switch {
		case f.Types == 0:
			return bad("types is empty")
		case f.Seen < 1:
			return bad("seen is %d, want at least 1", f.Seen)
		case f.Objects < 0 || f.Objects > f.Seen:
			return bad("objects is %d, want between 0 and seen (%d)", f.Objects, f.Seen)
		case (f.Objects > 0) != f.Types.Has(Object):
			return bad("objects is %d but types is %s: objects counts the occurrences that were objects", f.Objects, f.Types)
		case f.ValuesDropped && len(f.Values) > 0:
			return bad("valuesDropped is true but values are listed")
		}
		if err := checkValues("values", f.Values); err != nil {
			return bad("%v", err)
		}
		parent := parentPointer(p)
		if parent == "" {
			if f.Seen > s.Samples {
				return bad("seen is %d but samples is only %d", f.Seen, s.Samples)
			}
			continue
		}
		pf, ok := s.Fields[parent]
		if !ok {
			return bad("its parent %q is missing", parent)
		}
		if lastSegment(p) == "*" {
			// The wildcard collides with an object key spelled "*", so either
			// container type is a valid parent.
			if !pf.Types.Has(Array) && !pf.Types.Has(Object) {
				return bad("its parent %q has types %s, want array", parent, pf.Types)
			}
			continue
		}
		if !pf.Types.Has(Object) {
			return bad("its parent %q has types %s, want object", parent, pf.Types)
		}
		if f.Seen > pf.Objects {
			return bad("seen is %d but its parent %q was an object only %d times", f.Seen, parent, pf.Objects)
		}
	}
	return nil
}

func checkValues(name string, vs []string) error {
	if len(vs) > MaxEnumValues {
		return fmt.Errorf("%s lists %d values, at most %d are kept", name, len(vs), MaxEnumValues)
	}
	for i, v := range vs {
		if !codeLike(v) {
			return fmt.Errorf("%s: %q is not a short code (at most %d of A-Z a-z 0-9 _ - . :)", name, v, MaxEnumValueLen)
		}
		if i > 0 && v == vs[i-1] {
			return fmt.Errorf("%s: %q is listed twice", name, v)
		}
	}
	return nil
}

// codeLike reports whether v may be recorded as an enum value. The character
// set is deliberately narrow: codes are identifiers and numbers, while names,
// e-mail addresses, phone numbers with "+", and free text fail it, so PII cannot
// reach a baseline file through a field that merely has an enum-like name.
// The empty string is a code: the envelope's bizCode is "" on success.
func codeLike(v string) bool {
	if len(v) > MaxEnumValueLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '-', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// sortedValues returns a sorted, de-duplicated copy; nil for none.
func sortedValues(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	out := append([]string(nil), vs...)
	sort.Slice(out, func(i, j int) bool { return valueLess(out[i], out[j]) })
	n := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[n-1] {
			out[n] = out[i]
			n++
		}
	}
	return out[:n]
}

// valueLess orders integers numerically ("2" before "10") and everything
// else, and mixed pairs, as strings, so that value lists read naturally and
// sort identically everywhere.
func valueLess(a, b string) bool {
	ai, aerr := strconv.ParseInt(a, 10, 64)
	bi, berr := strconv.ParseInt(b, 10, 64)
	if aerr == nil && berr == nil && ai != bi {
		return ai < bi
	}
	return a < b
}

func unionValues(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	return sortedValues(append(append([]string(nil), a...), b...))
}

func containsValue(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// escapeToken escapes one JSON pointer reference token (RFC 6901).
func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// unescapeToken reverses escapeToken.
func unescapeToken(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// parentPointer is p without its last reference token; "" for a top-level
// member.
func parentPointer(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// lastSegment is p's last reference token, still escaped.
func lastSegment(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// checkPointer validates the syntax of a non-root JSON pointer.
func checkPointer(p string) error {
	if !strings.HasPrefix(p, "/") {
		return errors.New("a pointer must start with \"/\"")
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return errors.New("\"~\" must be escaped as ~0 (and \"/\" inside a key as ~1)")
		}
	}
	return nil
}

// describeJSONError turns encoding/json's errors into messages that name the
// place in the file, not our Go types.
func describeJSONError(b []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(b, syn.Offset-1) // Offset counts the offending byte
		return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := lineCol(b, typ.Offset-1) // Offset is just past the value
		where := typ.Field
		if where == "" {
			where = "the document"
		}
		return fmt.Errorf("%s: want %s, got JSON %s near line %d, column %d", where, jsontok.WantedGoKind(typ.Type.Kind()), typ.Value, line, col)
	case errors.Is(err, io.EOF):
		return errors.New("empty file, want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: unexpected end of file")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return errors.New(msg)
}

func lineCol(b []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(b))))
	line, col = 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
