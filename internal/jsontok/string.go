package jsontok

import (
	"reflect"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal: the project's one JSON
// string encoder. Unlike encoding/json it does not escape <, > and &: bodies
// and reports are not inlined into HTML script blocks, and text should read
// like the original. U+2028 and U+2029 are escaped (JavaScript parsers older
// than ES2019 end a line there), and invalid UTF-8 becomes U+FFFD, as in
// encoding/json, so the result is always valid JSON.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendUnquoted appends the value of the JSON string literal lit (quotes
// included), decoded exactly as encoding/json decodes it: escapes resolved,
// a valid surrogate pair combined, a lone surrogate and each byte of invalid
// UTF-8 replaced by U+FFFD. lit must be a literal the Tokenizer accepted;
// anything else is decoded as far as it makes sense, never with a panic.
func AppendUnquoted(dst, lit []byte) []byte {
	if len(lit) < 2 {
		return dst
	}
	s := lit[1 : len(lit)-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
				i += 2
			case 'b':
				dst = append(dst, '\b')
				i += 2
			case 'f':
				dst = append(dst, '\f')
				i += 2
			case 'n':
				dst = append(dst, '\n')
				i += 2
			case 'r':
				dst = append(dst, '\r')
				i += 2
			case 't':
				dst = append(dst, '\t')
				i += 2
			case 'u':
				r := hex4(s[i+2:])
				if r < 0 {
					return dst
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2 := hex4u(s[i:]); r2 >= 0 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							dst = utf8.AppendRune(dst, dec)
							i += 6
							break
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst
			}
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// hex4u reads a "\uXXXX" escape at the start of s.
func hex4u(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	return hex4(s[2:])
}

// KindOf names the kind of the JSON value that raw starts with (leading
// whitespace skipped): Invalid for an empty or impossible start.
func KindOf(raw []byte) Kind {
	i := skipWS(raw, 0)
	if i >= len(raw) {
		return Invalid
	}
	switch c := raw[i]; {
	case c == '"':
		return String
	case c == '{':
		return BeginObject
	case c == '[':
		return BeginArray
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || isDigit(c):
		return Number
	}
	return Invalid
}

// TypeName names the JSON Schema type of the value raw holds, for "seen"
// texts that must not echo values: "object", "array", "string", "integer"
// (a number without fraction or exponent), "number", "boolean", "null", or
// "absent" when raw is empty.
func TypeName(raw []byte) string {
	i := skipWS(raw, 0)
	if i >= len(raw) {
		return "absent"
	}
	k := KindOf(raw)
	if k == Number {
		for _, c := range raw[i:] {
			if c == '.' || c == 'e' || c == 'E' {
				return "number"
			}
		}
		return "integer"
	}
	return k.String()
}

// Article names a value's kind with its article for messages ("an
// object", "a string", "null").
func (k Kind) Article() string {
	switch k {
	case BeginObject, EndObject:
		return "an object"
	case BeginArray, EndArray:
		return "an array"
	case Null:
		return "null"
	case Invalid:
		return "an invalid value"
	}
	return "a " + k.String()
}

// WantedGoKind names, with its article, the JSON value a Go type decodes
// from, for restating an encoding/json UnmarshalTypeError in the file's
// terms rather than Go's: "an integer", "a number", "a string", "a boolean",
// "an array", "an object"; any other kind by its Go name.
func WantedGoKind(k reflect.Kind) string {
	switch {
	case k >= reflect.Int && k <= reflect.Uint64:
		return "an integer"
	case k == reflect.Float32 || k == reflect.Float64:
		return "a number"
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "a boolean"
	case k == reflect.Slice || k == reflect.Array:
		return "an array"
	case k == reflect.Map || k == reflect.Struct:
		return "an object"
	}
	return k.String()
}
