package jsontok

import (
	"encoding/json"
	"io"
)

// MarshalIndent is encoding/json's MarshalIndent, byte for byte, at about
// half its cost: json.Indent re-reads the marshalled text through
// encoding/json's byte-at-a-time scanner, which costs as much as the
// reflective marshal itself; AppendIndent pulls tokens instead. Writing a
// run's ginkgo.json and results.json is most of a short run's own CPU.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return AppendIndent(make([]byte, 0, 2*len(b)), b, prefix, indent)
}

// AppendIndent appends src, one JSON text, to dst as encoding/json's Indent
// writes it: each element of an object or array on a new line that begins
// with prefix and one indent per level, ": " after each key, empty objects
// and arrays as {} and [], strings and numbers as they are, whitespace
// after the value kept. Invalid JSON (by encoding/json's rules) is an
// error, and dst is returned unchanged.
func AppendIndent(dst, src []byte, prefix, indent string) ([]byte, error) {
	orig := len(dst)
	t := New(src, Lenient)
	var tok Token
	depth := 0
	opened := false   // the last token opened a container: its first element, if any, is next
	afterKey := false // the next token is a member's value
	end := 0
	newline := func(depth int) {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for {
		err := t.Read(&tok)
		if err == io.EOF {
			break
		}
		if err != nil {
			return dst[:orig], err
		}
		end = tok.End()
		if tok.Kind == EndObject || tok.Kind == EndArray {
			if opened {
				opened = false // {} and [] stay on one line
			} else {
				depth--
				newline(depth)
			}
			dst = append(dst, tok.Raw...)
			continue
		}
		switch {
		case afterKey:
			afterKey = false
		case opened:
			opened = false
			depth++
			newline(depth)
		case tok.Depth > 0:
			dst = append(dst, ',')
			newline(depth)
		}
		dst = append(dst, tok.Raw...)
		switch tok.Kind {
		case Key:
			dst = append(dst, ':', ' ')
			afterKey = true
		case BeginObject, BeginArray:
			opened = true
		}
	}
	return append(dst, src[end:]...), nil
}
