package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"sync"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// The compiled checker's scan: one pass over the body's tokens, walking the
// node tree alongside, so a body is validated without a tree of it and
// without a value per field. Each rule reproduces what gojsonschema does for
// the same keyword (validateRecursive, validateObject, validateArray in its
// validation.go): a value of the wrong type is one violation and is not
// looked into; properties, required and additionalProperties apply to any
// object, items to any array, whatever "type" says.

// checker is one scan's state, pooled so that a steady stream of bodies
// reuses the tokenizer's buffers.
type checker struct {
	s      *Set
	t      jsontok.Tokenizer
	prefix string
	out    []contract.Violation
	ptr    []byte
}

var checkers = sync.Pool{New: func() any { return new(checker) }}

// check validates doc against prog. ok is false when the strict tokenizer
// refuses doc: the caller then asks the reference, whose reading of such a
// document (not JSON at all, a duplicate key, invalid UTF-8, a number beyond
// float64) is the definition.
func (s *Set) check(prog *node, doc []byte, prefix string) (vs []contract.Violation, ok bool) {
	c := checkers.Get().(*checker)
	defer func() {
		c.t.Reset(nil, jsontok.Options{}) // drop the body
		c.s, c.out = nil, c.out[:0]
		checkers.Put(c)
	}()
	c.s, c.prefix = s, prefix
	c.t.Reset(doc, jsontok.Options{})
	tok, err := c.t.Next()
	if err != nil || !c.value(prog, tok, nameRoot, 0) {
		return nil, false
	}
	if _, err := c.t.Next(); err != io.EOF {
		return nil, false
	}
	if len(c.out) == 0 {
		return nil, true
	}
	return finish(append([]contract.Violation(nil), c.out...)), true
}

// name says how the value being checked is named in its parent, for the
// "seen" text's redaction (a field named email is masked).
type name uint8

const (
	nameRoot  name = iota
	nameKey        // the tokenizer's last key
	nameIndex      // the array index passed beside it
)

// value checks the value tok begins against n and consumes it. It returns
// false only when the tokenizer fails.
func (c *checker) value(n *node, tok jsontok.Token, how name, index int) bool {
	if n == nil {
		_, err := c.t.Skip(tok)
		return err == nil
	}
	if n.types != 0 && !n.allows(tok) {
		key := ""
		switch how {
		case nameKey:
			key = string(c.t.Key())
		case nameIndex:
			key = strconv.Itoa(index)
		}
		ptr := c.pointer()
		end, err := c.t.Skip(tok)
		if err != nil {
			return false
		}
		c.typeViolation(n, c.t.Input()[tok.Start:end], ptr, key)
		return true
	}
	switch tok.Kind {
	case jsontok.BeginObject:
		if !n.object() {
			_, err := c.t.Skip(tok)
			return err == nil
		}
		return c.object(n)
	case jsontok.BeginArray:
		if n.items == nil {
			_, err := c.t.Skip(tok)
			return err == nil
		}
		return c.array(n.items)
	}
	return true
}

func (c *checker) object(n *node) bool {
	var seen uint64 // bit i: required[i] present
	for {
		tok, err := c.t.Next()
		if err != nil {
			return false
		}
		if tok.Kind == jsontok.EndObject {
			break
		}
		key := c.t.Key()
		if n.reqIndex != nil {
			if i, ok := n.reqIndex[string(key)]; ok {
				seen |= 1 << i
			}
		}
		sub, declared := n.props[string(key)]
		if !declared {
			sub = n.extra
			if n.noExtra {
				c.out = append(c.out, contract.Violation{Pointer: c.prefix + string(c.t.AppendPointer(c.ptr[:0])),
					Keyword: "additionalProperties", Expected: "no undeclared fields", Seen: "present",
					Message: "field is not declared by the schema"})
			}
		}
		vt, err := c.t.Next()
		if err != nil || !c.value(sub, vt, nameKey, 0) {
			return false
		}
	}
	all := uint64(1)<<len(n.required) - 1 // every bit set for 64 names
	if missing := all &^ seen; missing != 0 {
		at := c.pointer() // the closing brace: the object's own pointer
		for i, r := range n.required {
			if missing&(1<<i) != 0 {
				c.out = append(c.out, contract.Violation{Pointer: at + "/" + escapeToken(r), Keyword: "required",
					Expected: "present", Seen: "absent", Message: "required field is missing"})
			}
		}
	}
	return true
}

func (c *checker) array(items *node) bool {
	for i := 0; ; i++ {
		tok, err := c.t.Next()
		if err != nil {
			return false
		}
		if tok.Kind == jsontok.EndArray {
			return true
		}
		if !c.value(items, tok, nameIndex, i) {
			return false
		}
	}
}

// pointer is the body pointer of the most recent token.
func (c *checker) pointer() string {
	c.ptr = c.t.AppendPointer(c.ptr[:0])
	return c.prefix + string(c.ptr)
}

// typeViolation records a value of the wrong type. It decodes the value
// (the rare path) so that "seen" and the message are made exactly as for
// gojsonschema's violations, by describe and typeOf.
func (c *checker) typeViolation(n *node, raw []byte, ptr, key string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // the tokenizer has checked raw
	c.out = append(c.out, contract.Violation{Pointer: ptr, Keyword: "type", Expected: n.expected,
		Seen: c.s.describe(v, key), Message: fmt.Sprintf("type is %s, want %s", typeOf(v), n.expected)})
}

// object reports whether an object value needs looking into.
func (n *node) object() bool {
	return n.props != nil || n.required != nil || n.noExtra || n.extra != nil
}

// allows reports whether the value tok begins has one of n's types.
func (n *node) allows(tok jsontok.Token) bool {
	switch tok.Kind {
	case jsontok.Null:
		return n.types&kindNull != 0
	case jsontok.Bool:
		return n.types&kindBoolean != 0
	case jsontok.String:
		return n.types&kindString != 0
	case jsontok.BeginObject:
		return n.types&kindObject != 0
	case jsontok.BeginArray:
		return n.types&kindArray != 0
	case jsontok.Number:
		if n.types&kindNumber != 0 {
			return true
		}
		return n.types&kindInteger != 0 && (tok.Integer || integral(tok.Raw))
	}
	return false
}

// integral reports whether a number literal with a fraction or an exponent
// is an integer the way gojsonschema decides it (checkJSONInteger: a
// big.Rat that IsInt, so 1.0 and 1e3 are integers, and a literal big.Rat
// refuses, such as 1e-2000000, is not).
func integral(lit []byte) bool {
	r, ok := new(big.Rat).SetString(string(lit))
	return ok && r.IsInt()
}

// finish removes repeated violations and sorts them, the form both the
// checker and the reference return.
func finish(vs []contract.Violation) []contract.Violation {
	seen := make(map[contract.Violation]bool, len(vs))
	out := vs[:0]
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	SortViolations(out)
	return out
}
