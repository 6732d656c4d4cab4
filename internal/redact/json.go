package redact

import (
	"bytes"
	"io"
	"sync"

	"github.com/mmcontract/mmcontract/internal/jsontok"
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
	if out, ok := r.redactJSON(body); ok {
		return out
	}
	return []byte(r.Text(string(body))) // the tolerant scanner finds the keys
}

// redactJSON is JSON for a body that is JSON as encoding/json sees it; it
// reports false, having learned nothing, for any other body.
func (r *Redactor) redactJSON(body []byte) ([]byte, bool) { return r.redactJSONPrefix(body, 0) }

// redactJSONPrefix is redactJSON whose write pass stops once it has written
// limit bytes (0: no limit): the output is then a prefix, at least limit
// bytes long, of what redactJSON writes. The check and learning pass still
// reads the whole body, since a value echoed early may be marked by a key
// late in it.
func (r *Redactor) redactJSONPrefix(body []byte, limit int) ([]byte, bool) {
	// Pass one checks the body and learns every value that will be masked;
	// pass two writes. One pass would miss a value echoed before the key
	// that marks it. The detectors run in pass one only; pass two replays
	// what they found.
	collect := walker{r: r}
	if _, err := collect.run(body, nil); err != nil {
		return nil, false
	}
	r.Learn(collect.learn...)

	write := walker{r: r, m: r.current(), emit: true, found: collect.found, limit: limit}
	size := len(body) + len(body)/16
	if limit > 0 {
		size = min(size, limit+limit/16)
	}
	out, _ := write.run(body, make([]byte, 0, size))
	return out, true
}

// walker is one pass over a body, token by token. It keeps its container
// stack on the heap, so nesting depth costs no Go stack.
type walker struct {
	r     *Redactor
	m     *automata
	limit int      // write pass: stop once this many bytes are written (0: never)
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
	masked bool // every leaf beneath is masked
}

// tokenizers keeps Tokenizers, whose buffers grow to the deepest body seen,
// for reuse across bodies.
var tokenizers = sync.Pool{New: func() any { return new(jsontok.Tokenizer) }}

// run walks b, appending the redacted body to out in the write pass. It
// accepts what encoding/json accepts (jsontok.Lenient) and returns the
// tokenizer's error for anything else. Whitespace and punctuation between
// tokens are copied byte for byte.
func (w *walker) run(b, out []byte) ([]byte, error) {
	t := tokenizers.Get().(*jsontok.Tokenizer)
	defer tokenizers.Put(t)
	t.Reset(b, jsontok.Lenient)
	stack := make([]frame, 0, 32)
	pending := false   // the key just read is sensitive: mask the next value
	ambiguous := false // that key is one whose values are often not personal (see learnAmbiguous)
	public := false    // that key holds a public key: base64 that is published on purpose
	var keyBuf [64]byte
	masked := func() bool { return pending || (len(stack) > 0 && stack[len(stack)-1].masked) }

	last := 0 // end of the previous token
	var tok jsontok.Token
	for {
		if err := t.Read(&tok); err != nil {
			if err == io.EOF {
				return w.put(out, b[last:]), nil
			}
			return out, err
		}
		if w.limit > 0 && len(out) >= w.limit {
			return out, nil
		}
		out = w.put(out, b[last:tok.Start])
		last = tok.End()
		raw := tok.Raw
		switch tok.Kind {
		case jsontok.BeginObject, jsontok.BeginArray:
			stack = append(stack, frame{masked: masked()})
			pending = false
			out = w.put(out, raw)
		case jsontok.EndObject, jsontok.EndArray:
			stack = stack[:len(stack)-1]
			out = w.put(out, raw)
		case jsontok.Key:
			if !stack[len(stack)-1].masked {
				var lower []byte
				if tok.Escaped {
					lower = appendLower(keyBuf[:0], t.Key())
				} else {
					lower = appendLower(keyBuf[:0], raw[1:len(raw)-1])
				}
				pending = w.r.keys.lookup(lower) != plain
				ambiguous = pending && (string(lower) == "name" || string(lower) == "displayname")
				public = bytes.HasSuffix(lower, []byte("publickey")) || bytes.HasSuffix(lower, []byte("pubkey"))
			}
			out = w.scrubString(out, raw, tok.Escaped, true)
		case jsontok.String:
			if masked() {
				out = w.maskString(out, raw, tok.Escaped, pending && ambiguous)
				pending = false
			} else {
				out = w.scrubString(out, raw, tok.Escaped, public)
				public = false
			}
		case jsontok.Bool, jsontok.Null:
			pending = false
			out = w.put(out, raw)
		case jsontok.Number:
			if masked() {
				out = w.maskNumber(out, raw)
			} else {
				out = w.scrubNumber(out, raw)
			}
			pending = false
		}
	}
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
	return jsontok.AppendString(out, Mask(v))
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
			return jsontok.AppendString(out, string(replace(nil, inner, spans)))
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
	lit := jsontok.AppendString(nil, string(replace(nil, v, spans)))
	return append(out, scrubLiteral(w.m, lit)...)
}

// scrubLiteral masks learned values that show through the escapes of a JSON
// string literal although the decoded value does not contain them:
// "\u000fz-secret" reads as "fz-secret" to grep and to a person. Each span
// is widened to whole escape sequences so the literal stays valid.
func scrubLiteral(m *automata, lit []byte) []byte {
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

// decodeString returns the value of a JSON string literal.
func decodeString(raw []byte, esc bool) string {
	if !esc {
		return string(raw[1 : len(raw)-1])
	}
	return string(jsontok.AppendUnquoted(nil, raw))
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
