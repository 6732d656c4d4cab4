package redact

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// JSON masks values under sensitive keys, at any depth, and scrubs learned
// values from every other string, number and key. It rewrites the body token
// by token: key order, whitespace and the spelling of untouched values are
// kept byte for byte, so a redacted body still reads like the original.
//
// Under a sensitive key a string becomes Mask(value), a number keeps its
// sign, digit count, decimal point and exponent with its digits replaced
// (13812345678 → 10000000001, 12.50 → 10.10), and an object or array is
// walked with every leaf under it masked. Booleans and null are kept. Masked
// values are learned first, so a value repeated elsewhere in the same body
// (an e-mail echoed in a message) is scrubbed there too.
//
// Every other string value (not keys, not numbers) also goes through the
// detectors, so a vendor msg or msgParams quoting an e-mail address is
// scrubbed; numbers outside sensitive keys are left alone (order ids and
// timestamps are long digit runs too), unless they contain a learned value.
//
// Input that is not valid JSON goes through Text, whose tolerant scanner
// masks values under sensitive keys all the same. The result is always a
// new slice.
func (r *Redactor) JSON(body []byte) []byte {
	if !json.Valid(body) {
		return []byte(r.Text(string(body))) // the tolerant scanner finds the keys
	}
	return r.validJSON(body)
}

// validJSON is JSON for a body already known to be valid.
func (r *Redactor) validJSON(body []byte) []byte {
	// Pass one learns every value that will be masked; pass two writes. One
	// pass would miss a value echoed before the key that marks it. The
	// detectors run in pass one only; pass two replays what they found.
	collect := walker{r: r}
	collect.run(body, nil)
	r.Learn(collect.learn...)

	write := walker{r: r, m: r.current(), emit: true, found: collect.found}
	return write.run(body, make([]byte, 0, len(body)+len(body)/16))
}

// walker is one pass over a body already known to be valid JSON, which lets
// the scanner skip every syntax check. It keeps its container stack on the
// heap, so nesting depth costs no Go stack.
type walker struct {
	r     *Redactor
	m     *matcher
	emit  bool     // write pass; otherwise collect masked values into learn
	learn []string // collect pass: values to learn
	// found holds the detectors' spans per free-text string, in order of
	// the strings' ordinals (the nth string value not masked): the collect
	// pass fills it, the write pass replays it, since both visit the same
	// strings in the same order.
	found   []foundSpans
	ordinal int
}

type foundSpans struct {
	ordinal int
	spans   []span
}

// frame is one open object or array.
type frame struct {
	obj    bool // object, so a string after '{' or ',' is a key
	masked bool // every leaf beneath is masked
}

func (w *walker) run(b, out []byte) []byte {
	stack := make([]frame, 0, 32)
	expectKey := false // the next string is an object key
	pending := false   // the key just read is sensitive: mask the next value
	ambiguous := false // that key is one whose values are often not personal (see learnAmbiguous)
	public := false    // that key holds a public key: base64 that is published on purpose
	var keyBuf [64]byte
	masked := func() bool { return pending || (len(stack) > 0 && stack[len(stack)-1].masked) }

	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case ' ', '\t', '\n', '\r':
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			out = w.put(out, b[i:j])
			i = j
		case '{', '[':
			stack = append(stack, frame{obj: c == '{', masked: masked()})
			pending = false
			expectKey = c == '{'
			out = w.put(out, b[i:i+1])
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
			out = w.put(out, b[i:i+1])
			i++
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].obj
			out = w.put(out, b[i:i+1])
			i++
		case ':':
			out = w.put(out, b[i:i+1])
			i++
		case '"':
			end, esc := stringEnd(b, i)
			raw := b[i:end]
			switch {
			case expectKey:
				expectKey = false
				if !stack[len(stack)-1].masked {
					var lower []byte
					if esc {
						lower = appendLower(keyBuf[:0], decodeString(raw, esc))
					} else {
						lower = appendLower(keyBuf[:0], raw[1:len(raw)-1])
					}
					pending = w.r.keys.lookup(lower) != plain
					ambiguous = pending && (string(lower) == "name" || string(lower) == "displayname")
					public = bytes.HasSuffix(lower, []byte("publickey")) || bytes.HasSuffix(lower, []byte("pubkey"))
				}
				out = w.scrubString(out, raw, esc, true)
			case masked():
				out = w.maskString(out, raw, esc, pending && ambiguous)
				pending = false
			default:
				out = w.scrubString(out, raw, esc, public)
				public = false
			}
			i = end
		case 't', 'n':
			pending = false
			out = w.put(out, b[i:i+4])
			i += 4
		case 'f':
			pending = false
			out = w.put(out, b[i:i+5])
			i += 5
		default: // a number: '-' or a digit
			j := i + 1
			for j < len(b) && isNumberByte(b[j]) {
				j++
			}
			if masked() {
				out = w.maskNumber(out, b[i:j])
			} else {
				out = w.scrubNumber(out, b[i:j])
			}
			pending = false
			i = j
		}
	}
	return out
}

func (w *walker) put(out, p []byte) []byte {
	if w.emit {
		out = append(out, p...)
	}
	return out
}

func (w *walker) maskString(out, raw []byte, esc, ambiguous bool) []byte {
	v := decodeString(raw, esc)
	if !w.emit {
		if !ambiguous || learnAmbiguous(v) {
			w.learn = append(w.learn, v)
		}
		return out
	}
	return appendJSONString(out, Mask(v))
}

// scrubString writes a string that is not masked, with learned and, unless
// it is a key (or a public key, which looks like a secret but is not one),
// detected values replaced. An untouched string is copied
// verbatim, escapes and all. The collect pass learns what the detectors find.
func (w *walker) scrubString(out, raw []byte, esc, key bool) []byte {
	inner := raw[1 : len(raw)-1]
	var d detection
	if !key {
		w.ordinal++
		switch {
		case !w.emit && mayDetect(inner):
			d = w.r.keys.detect(decodeString(raw, esc))
			if len(d.spans) > 0 {
				w.found = append(w.found, foundSpans{w.ordinal, d.spans})
			}
		case w.emit && len(w.found) > 0 && w.found[0].ordinal == w.ordinal:
			d.spans, w.found = w.found[0].spans, w.found[1:]
		}
	}
	if !w.emit {
		w.learn = append(w.learn, d.learn...)
		return out
	}
	if !esc {
		spans := find(w.m, inner)
		if len(d.spans) > 0 {
			spans = mergeSpans(append(spans, d.spans...))
		}
		if len(spans) > 0 {
			return appendJSONString(out, string(replace(nil, inner, spans)))
		}
		return append(out, raw...)
	}
	v := decodeString(raw, esc)
	spans := find(w.m, v)
	if len(d.spans) > 0 {
		spans = mergeSpans(append(spans, d.spans...))
	}
	if len(spans) == 0 && !contains(w.m, inner) {
		return append(out, raw...)
	}
	lit := appendJSONString(nil, string(replace(nil, v, spans)))
	return append(out, scrubLiteral(w.m, lit)...)
}

// scrubLiteral masks learned values that show through the escapes of a JSON
// string literal although the decoded value does not contain them:
// "\u000fz-secret" reads as "fz-secret" to grep and to a person. Each span
// is widened to whole escape sequences so the literal stays valid.
func scrubLiteral(m *matcher, lit []byte) []byte {
	inner := lit[1 : len(lit)-1]
	spans := find(m, inner)
	if len(spans) == 0 {
		return lit
	}
	for i := 0; i < len(inner); i++ {
		if inner[i] != '\\' {
			continue
		}
		a, b := i, i+2
		if inner[i+1] == 'u' {
			b = i + 6
		}
		for k := range spans {
			if a < spans[k].start && spans[k].start < b {
				spans[k].start = a
			}
			if a < spans[k].end && spans[k].end < b {
				spans[k].end = b
			}
		}
		i = b - 1
	}
	out := append([]byte{'"'}, replace(nil, inner, mergeSpans(spans))...)
	return append(out, '"')
}

func (w *walker) maskNumber(out, lit []byte) []byte {
	if !w.emit {
		if digits(lit) >= 6 && string(maskNumber(nil, lit)) != string(lit) {
			w.learn = append(w.learn, string(lit))
		}
		return out
	}
	return maskNumber(out, lit)
}

// scrubNumber masks a number that is not under a sensitive key but contains
// a learned value: a phone number sent as a number in one place and as a
// string in another.
func (w *walker) scrubNumber(out, lit []byte) []byte {
	if !w.emit {
		return out
	}
	if contains(w.m, lit) {
		return maskNumber(out, lit)
	}
	return append(out, lit...)
}

// stringEnd returns the index just past the closing quote of the string
// starting at b[i], and whether it contains escapes.
func stringEnd(b []byte, i int) (end int, esc bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc
		}
	}
	return len(b), esc // unreachable for valid JSON
}

// decodeString returns the value of a JSON string literal.
func decodeString(raw []byte, esc bool) string {
	if !esc {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw[1 : len(raw)-1]) // unreachable for valid JSON
	}
	return s
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// digits counts the mantissa digits of a number literal.
func digits(lit []byte) int {
	n := 0
	for _, c := range lit {
		if c == 'e' || c == 'E' {
			break
		}
		if '0' <= c && c <= '9' {
			n++
		}
	}
	return n
}

// maskNumber appends the mask of a JSON number literal. The sign, the number
// of digits before and after the point and the exponent are kept; the
// digits become zeros except two ones: the leading digit (unless the integer
// part is a lone 0, where JSON forbids anything else) and the last non-zero
// digit. Keeping the position of the last non-zero digit keeps the number of
// significant decimals, so 12.0 and 1.5e3 stay integral and 12.5 and 125e-2
// stay fractional, whichever way a schema validator or a shape inferrer
// decides "integer". Masking a mask gives the same mask.
func maskNumber(dst, lit []byte) []byte {
	i := 0
	if i < len(lit) && lit[i] == '-' {
		dst = append(dst, '-')
		i++
	}
	mantEnd := len(lit)
	for k := i; k < len(lit); k++ {
		if lit[k] == 'e' || lit[k] == 'E' {
			mantEnd = k
			break
		}
	}
	mant := lit[i:mantEnd]
	lastNZ := -1 // index in mant of the last non-zero digit
	for k, c := range mant {
		if '1' <= c && c <= '9' {
			lastNZ = k
		}
	}
	loneZero := len(mant) > 0 && mant[0] == '0' // "0" or "0.xxx"
	for k, c := range mant {
		switch {
		case c == '.':
			dst = append(dst, '.')
		case k == 0 && !loneZero, k == lastNZ:
			dst = append(dst, '1')
		default:
			dst = append(dst, '0')
		}
	}
	return append(dst, lit[mantEnd:]...)
}

// appendJSONString appends s as a JSON string literal. Unlike encoding/json
// it does not escape <, > and &: reports are not inlined into HTML script
// blocks, and the redacted text should read like the original. Invalid UTF-8
// becomes U+FFFD, as in encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
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
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
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
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// learnAmbiguous decides whether a value masked under "name" or "displayName" is
// also learned for scrubbing from free text. The vendor uses "name" for
// people and for products, assets, banks and dictionary entries ("USDT",
// "BTC/USDT"). Every such value is masked where it stands; learning the
// product ones too would scrub currency codes and enum values from every
// report and baseline. A personal name has a space or a non-ASCII letter
// (most CJK names); a code-like token has neither, so only the former is
// learned. firstName, lastName and the other unambiguous keys are always
// learned.
func learnAmbiguous(v string) bool {
	for _, r := range v {
		if r == ' ' || r > 0x7f {
			return true
		}
	}
	return false
}
