package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// decodeCatalog decodes a catalog.json into its operations, strictly
// (unknown fields refused), exactly as encoding/json's Decoder with
// DisallowUnknownFields does. Every process that loads the schemas decodes
// the 115 KB client catalog, and encoding/json's reflective decode of it was
// 6 % of a smoke run's CPU; one pass of the project's tokenizer decodes a
// catalog written the way the importer writes it (exact field names, each
// once, unescaped strings) at a fraction of that. Anything else (an escape,
// a field in another case, a duplicate, null, a wrong type, bad JSON)
// leaves the fast path and is decoded by encoding/json, so the operations
// and every error message are encoding/json's own
// (TestDecodeCatalogMatchesEncodingJSON, FuzzDecodeCatalog).
func decodeCatalog(catalog []byte) ([]Operation, error) {
	if ops, ok := decodeCatalogFast(catalog); ok {
		return ops, nil
	}
	return decodeCatalogReference(catalog)
}

// decodeCatalogReference is encoding/json's decode, the reference the fast
// path is held to.
func decodeCatalogReference(catalog []byte) ([]Operation, error) {
	var ops []Operation
	dec := json.NewDecoder(bytes.NewReader(catalog))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ops); err != nil {
		return nil, err
	}
	return ops, nil
}

// errLeaveFastPath says the fast path does not decide this catalog.
var errLeaveFastPath = errors.New("schemas: catalog outside the fast path")

// decodeCatalogFast reports ok=false wherever its answer could differ from
// encoding/json's.
func decodeCatalogFast(b []byte) (ops []Operation, ok bool) {
	// Duplicate keys are refused by the tokenizer (encoding/json keeps the
	// last), which sends such a catalog to the reference.
	t := jsontok.New(b, jsontok.Options{})
	tok, err := t.Next()
	if err != nil || tok.Kind != jsontok.BeginArray {
		return nil, false
	}
	ops = []Operation{}
	seen := internedStrings{}
	for {
		tok, err := t.Next()
		if err != nil {
			return nil, false
		}
		if tok.Kind == jsontok.EndArray {
			break
		}
		if tok.Kind != jsontok.BeginObject {
			return nil, false
		}
		var op Operation
		if err := decodeOperation(t, b, &op, seen); err != nil {
			return nil, false
		}
		ops = append(ops, op)
	}
	// The Decoder reads one value and ignores what follows it; the
	// tokenizer refuses anything but space after the value, so a catalog
	// with trailing bytes goes to the reference too.
	if _, err := t.Next(); err != io.EOF {
		return nil, false
	}
	return ops, true
}

func decodeOperation(t *jsontok.Tokenizer, b []byte, op *Operation, seen internedStrings) error {
	for {
		tok, err := t.Next()
		if err != nil {
			return err
		}
		if tok.Kind == jsontok.EndObject {
			return nil
		}
		if tok.Escaped {
			return errLeaveFastPath
		}
		key := string(t.Key())
		v, err := t.Next()
		if err != nil {
			return err
		}
		switch key {
		case "family":
			err = seen.plainString(v, &op.Family)
		case "bizType":
			err = plainString(v, &op.BizType)
		case "version":
			err = seen.plainString(v, &op.Version)
		case "group":
			err = seen.plainString(v, &op.Group)
		case "path":
			err = seen.plainString(v, &op.Path)
		case "area":
			err = seen.plainString(v, &op.Area)
		case "login":
			err = plainBool(v, &op.Login)
		case "readOnly":
			err = plainBool(v, &op.ReadOnly)
		case "tags":
			err = seen.plainStrings(t, v, &op.Tags)
		case "request":
			if v.Kind == jsontok.Null {
				return errLeaveFastPath
			}
			var end int
			if end, err = t.Skip(v); err == nil {
				// A copy, as encoding/json makes: the operation must not
				// share (or, appended to, overwrite) the catalog's bytes.
				op.Request = append(json.RawMessage(nil), b[v.Start:end]...)
			}
		default:
			err = seen.setOther(op, key, v)
		}
		if err != nil {
			return err
		}
	}
}

// otherFields are the Operation's string and bool fields by JSON name, for
// those the switch above does not name: a field added to Operation (and to
// the importer's catalogs) keeps the fast path without a case of its own.
var otherFields = sync.OnceValue(func() map[string]int {
	fields := map[string]int{}
	t := reflect.TypeFor[Operation]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue // encoding/json's rules for these are left to it
		}
		if k := f.Type.Kind(); f.Type.PkgPath() == "" && (k == reflect.String || k == reflect.Bool) {
			fields[name] = i
		}
	}
	return fields
})

// setOther sets a string or bool field the switch does not name, or leaves
// the fast path.
func (seen internedStrings) setOther(op *Operation, key string, v jsontok.Token) error {
	i, ok := otherFields()[key]
	if !ok {
		return errLeaveFastPath
	}
	f := reflect.ValueOf(op).Elem().Field(i)
	if f.Kind() == reflect.Bool {
		var b bool
		err := plainBool(v, &b)
		f.SetBool(b)
		return err
	}
	var str string
	err := seen.plainString(v, &str)
	f.SetString(str)
	return err
}

func plainString(v jsontok.Token, dst *string) error {
	if v.Kind != jsontok.String || v.Escaped {
		return errLeaveFastPath
	}
	*dst = string(v.Raw[1 : len(v.Raw)-1])
	return nil
}

// strings holds one copy of each value of the fields most operations share
// (family, version, path, area, tags), so each costs one allocation per
// catalog, not one per operation.
type internedStrings map[string]string

func (seen internedStrings) plainString(v jsontok.Token, dst *string) error {
	if v.Kind != jsontok.String || v.Escaped {
		return errLeaveFastPath
	}
	raw := v.Raw[1 : len(v.Raw)-1]
	s, ok := seen[string(raw)]
	if !ok {
		s = string(raw)
		seen[s] = s
	}
	*dst = s
	return nil
}

func plainBool(v jsontok.Token, dst *bool) error {
	if v.Kind != jsontok.Bool {
		return errLeaveFastPath
	}
	*dst = v.Raw[0] == 't'
	return nil
}

func (seen internedStrings) plainStrings(t *jsontok.Tokenizer, v jsontok.Token, dst *[]string) error {
	if v.Kind != jsontok.BeginArray {
		return errLeaveFastPath
	}
	out := []string{}
	for {
		tok, err := t.Next()
		if err != nil {
			return err
		}
		if tok.Kind == jsontok.EndArray {
			*dst = out
			return nil
		}
		var s string
		if err := seen.plainString(tok, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
}
