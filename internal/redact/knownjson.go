package redact

import (
	"errors"
	"io"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// quotedMask replaces a whole string or key that a learned value cuts across its quotes.
const quotedMask = `"` + textMask + `"`

// KnownJSON is Known for a JSON document we wrote ourselves (results.json,
// ginkgo.json): learned values are replaced inside strings and keys only.
// Every vendor value reaches these documents as a string (a recorded body,
// a violation's text) that was redacted when it was recorded; their numbers,
// booleans and nulls are ours (counts, durations, latencies, statuses). A
// plain text replacement turned a duration or a count that happened to
// equal a learned value (the simulator's postal code 100000) into a bare
// [redacted], and the document no longer parsed, or no longer decoded into
// Ginkgo's types. A string or key that a value cuts across its quotes is
// replaced whole by "[redacted]". A document that is not JSON, or a value
// that cuts a bracket, gets Known's plain replacement: hiding the value comes
// before keeping the syntax.
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
		// A span reaching past this token also touches the next one.
		next = last
		if spans[last-1].end > end {
			next = last - 1
		}
		switch tok.Kind {
		case jsontok.BeginObject, jsontok.EndObject, jsontok.BeginArray, jsontok.EndArray:
			return nil, false
		case jsontok.Number, jsontok.Bool, jsontok.Null:
			continue // ours, see KnownJSON
		}
		inside := true
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
