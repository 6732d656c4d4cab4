package jsontok

import (
	"fmt"
	"io"
)

// Code says what is wrong with a text.
type Code uint8

// Error codes.
const (
	UnexpectedEOF    Code = iota + 1 // the text ends inside a value
	InvalidUTF8                      // the text is not valid UTF-8
	ValueExpected                    // a byte that cannot start a value, where one is required
	AfterValue                       // a byte other than ',' or the closing bracket after a value
	KeyExpected                      // a byte other than '"' where an object key is required
	ColonExpected                    // a byte other than ':' after an object key
	BadEscape                        // a backslash followed by a byte that is no escape
	BadUnicodeEscape                 // \u not followed by four hex digits
	ControlChar                      // an unescaped control character in a string
	BadNumber                        // a '-' not followed by a digit
	BadFraction                      // a '.' not followed by a digit
	BadExponent                      // an exponent without digits
	BadLiteral                       // a misspelt true, false or null
	TrailingData                     // anything but whitespace after the top-level value
	TooDeep                          // more open containers than MaxDepth
	DuplicateKey                     // an object repeats a key
	IntRange                         // an integer beyond int64
	FloatRange                       // a number beyond float64
)

// Error is a text the Tokenizer refuses. Its message is one short line that
// never quotes more than 32 bytes of the text.
type Error struct {
	Code Code
	// Offset is where the scan stopped: the offending byte, or the length
	// of the text for UnexpectedEOF.
	Offset int
	// Start is where the token being read began (the quote of a bad
	// string, the first byte of a bad number or literal).
	Start int
	// Depth is the number of open containers.
	Depth int
	// Char is the byte at Offset (0 at the end of the text).
	Char byte
	// Limit is, for TooDeep, the depth that was exceeded.
	Limit int
	// Pointer is, for DuplicateKey, the object's JSON pointer and, for
	// IntRange and FloatRange, the number's; clipped to about 120 bytes.
	Pointer string
	// Text is, for DuplicateKey, the repeated key (unescaped) and, for
	// IntRange and FloatRange, the literal; clipped to 32 bytes.
	Text string
}

// Unwrap makes errors.Is(err, io.ErrUnexpectedEOF) hold for a truncated text.
func (e *Error) Unwrap() error {
	if e.Code == UnexpectedEOF {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// Where names Pointer for a message: "top level" when it is empty.
func (e *Error) Where() string {
	if e.Pointer == "" {
		return "top level"
	}
	return e.Pointer
}

var syntaxContext = map[Code]string{
	AfterValue:       "after a value",
	KeyExpected:      "where an object key was expected",
	ColonExpected:    "where ':' was expected",
	BadEscape:        "in a string escape",
	BadUnicodeEscape: "in a \\u escape",
	ControlChar:      "(control character) in a string",
	BadNumber:        "in a number",
	BadFraction:      "in a number",
	BadExponent:      "in a number",
	BadLiteral:       "in a literal",
	ValueExpected:    "where a value was expected",
}

func (e *Error) Error() string {
	switch e.Code {
	case UnexpectedEOF:
		return fmt.Sprintf("invalid JSON: unexpected end of input at offset %d (truncated body?)", e.Offset)
	case InvalidUTF8:
		return fmt.Sprintf("invalid UTF-8 at offset %d", e.Offset)
	case TrailingData:
		return fmt.Sprintf("invalid JSON at offset %d: data after the top-level value", e.Offset)
	case TooDeep:
		return fmt.Sprintf("JSON nesting exceeds %d levels at offset %d", e.Limit, e.Offset)
	case DuplicateKey:
		return fmt.Sprintf("duplicate key %q at %s", e.Text, e.Where())
	case IntRange:
		return fmt.Sprintf("integer %s beyond int64 at %s", e.Text, e.Where())
	case FloatRange:
		return fmt.Sprintf("number %s beyond float64 at %s", e.Text, e.Where())
	case ValueExpected:
		if e.Depth == 0 {
			// Only the top-level value can be missing at depth 0.
			return fmt.Sprintf("not JSON: body starts with %q", rune(e.Char))
		}
	}
	if ctx, ok := syntaxContext[e.Code]; ok {
		return fmt.Sprintf("invalid JSON at offset %d: unexpected %q %s", e.Offset, rune(e.Char), ctx)
	}
	return fmt.Sprintf("invalid JSON at offset %d", e.Offset)
}

// fail records the error, which every later Next returns too.
func (t *Tokenizer) fail(code Code, off, start int) error {
	e := &Error{Code: code, Offset: off, Start: start, Depth: len(t.stack)}
	if off < len(t.b) {
		e.Char = t.b[off]
	}
	switch code {
	case TooDeep:
		e.Limit = t.maxDepth
	case DuplicateKey:
		// The object's pointer: its own current key is the previous member.
		e.Pointer = string(t.appendPointer(nil, len(t.stack)-1, 120))
		e.Text = clip(t.ref(t.last))
	case IntRange, FloatRange:
		e.Pointer = string(t.appendPointer(nil, len(t.stack), 120))
		end := start
		for end < len(t.b) && isNumberByte(t.b[end]) {
			end++
		}
		e.Text = clip(t.b[start:end])
	}
	t.err = e
	return e
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
