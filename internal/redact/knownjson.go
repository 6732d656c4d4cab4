package redact

import (
	"errors"
	"io"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// quotedMask is what replaces a whole JSON token that a learned value falls on.
const quotedMask = `"` + textMask + `"`

// KnownJSON is Known for a JSON document we wrote ourselves (results.json,
// ginkgo.json). A learned value inside a string is replaced there, as Known
// does. One that falls on a number, a literal or across tokens would leave the
// document unparseable if replaced in place: a postal code learned as
// "100000" turned a count of 100000 into a bare [redacted], and the consumer
// of ginkgo.json failed. So each such token is replaced whole by the string
// "[redacted]": the value stays hidden and the document still parses. A
// document that is not JSON, or a value that cuts a bracket, gets Known's
// plain replacement: hiding the value comes before keeping the syntax.
func (r *Redactor) KnownJSON(doc []byte) []byte {
	spans := outsideMasks(doc, find(r.current(), doc))
	if len(spans) == 0 {
		return doc
	}
	out, ok := maskTokens(doc, spans)
	if !ok {
		return replace(make([]byte, 0, len(doc)), doc, spans)
	}
	return out
}

// maskTokens applies spans to doc token by token; ok is false when doc is not
// JSON or a span touches a bracket.
func maskTokens(doc []byte, spans []span) (out []byte, ok bool) {
	t := tokenizers.Get().(*jsontok.Tokenizer)
	defer tokenizers.Put(t)
	t.Reset(doc, jsontok.Lenient)
	out = make([]byte, 0, len(doc)+len(spans)*len(quotedMask))
	prev, next := 0, 0 // copied up to prev; spans before next are done
	var tok jsontok.Token
	for next < len(spans) {
		if err := t.Read(&tok); err != nil {
			return nil, errors.Is(err, io.EOF) && next == len(spans)
		}
		start, end := tok.Start, tok.End()
		// Spans that end before this token lie in whitespace or separators.
		for next < len(spans) && spans[next].end <= start {
			next++
		}
		first := next
		last := first
		for last < len(spans) && spans[last].start < end {
			last++
		}
		if first == last {
			continue
		}
		switch tok.Kind {
		case jsontok.BeginObject, jsontok.EndObject, jsontok.BeginArray, jsontok.EndArray:
			return nil, false
		}
		inside := tok.Kind == jsontok.String || tok.Kind == jsontok.Key
		for _, sp := range spans[first:last] {
			inside = inside && sp.start > start && sp.end < end
		}
		out = append(out, doc[prev:start]...)
		if inside {
			out = replace(out, doc[start:end], shift(spans[first:last], start))
		} else {
			out = append(out, quotedMask...)
		}
		prev = end
		// A span reaching past this token also touches the next one.
		next = last
		if spans[last-1].end > end {
			next = last - 1
		}
	}
	return append(out, doc[prev:]...), true
}

// shift returns spans moved left by off.
func shift(spans []span, off int) []span {
	out := make([]span, len(spans))
	for i, sp := range spans {
		out[i] = span{sp.start - off, sp.end - off}
	}
	return out
}
