// Package redact is the one choke point through which every secret and every
// piece of customer PII is removed before anything leaves the process: console,
// logs, JUnit, results.json, ginkgo.json, HTML, baselines, history and alerts.
//
// It works three ways at once. Values under sensitive keys (JSON fields, HTTP
// headers, and `"key": value` pairs in bodies that are not valid JSON) are
// masked where they are structured; every value it has masked or been told
// about is remembered, so the same literal is scrubbed from free text (a
// Gomega failure message, a log line) where no key names it; and detectors
// recognise e-mail addresses, phone, card and ID numbers and tokens in free
// text without prior knowledge (see detect.go). The client passes every
// response through LearnBody, so values are known before any text is written.
//
// Text for terminals and logs is also made inert (Terminal): control and bidi
// characters are shown as escapes.
//
// Masks keep the shape of what they hide, because reports and baselines made
// from redacted bodies still feed drift detection: a string stays a string
// whose mask names its length class ("[redacted:9-32]"), an empty string stays
// empty, a number stays a number with the same digit count and the same
// integer-ness, and booleans, null, objects and arrays keep their type.
package redact

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// Redactor masks sensitive values. It is safe for concurrent use. Its memory
// of learned values only grows, for the life of the process: forgetting a
// value would let it through on the next report.
type Redactor struct {
	keys keySet

	mu      sync.Mutex          // guards learned, recent and rebuilding m
	learned map[string]struct{} // folded literals
	recent  []string            // learned since the settled automaton was built
	dirty   atomic.Bool         // learned changed since m was built
	m       atomic.Pointer[automata]
}

// New returns a Redactor for cfg. The keys of DefaultConfig are always
// included; only cfg.AllowKeys removes any (see Config). Entries that
// Config.Validate rejects are ignored.
func New(cfg Config) *Redactor {
	return &Redactor{keys: compile(cfg), learned: map[string]struct{}{}}
}

// minLearn is the shortest value remembered for free-text scrubbing; shorter
// ones ("Li", "US") would shred ordinary text.
const minLearn = 4

// Learn remembers literal values to scrub from any text: the value itself and
// its JSON-escaped and URL-encoded spellings, so an e-mail address is also
// caught as "a%40b.c" in a logged URL. Values shorter than four bytes, JSON
// keywords and masks are ignored. Matching is ASCII case-insensitive.
func (r *Redactor) Learn(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var buf []byte
	for _, v := range values {
		if !learnable(v) {
			continue
		}
		buf = appendLower(buf[:0], v)
		if _, ok := r.learned[string(buf)]; ok {
			continue // its spellings were added with it
		}
		r.add(v)
		for _, e := range []string{jsonInner(v), htmlEscapedJSON(v), url.QueryEscape(v), url.PathEscape(v)} {
			if e != v {
				r.add(e)
			}
		}
	}
}

// add records one spelling; r.mu is held.
func (r *Redactor) add(v string) {
	f := string(appendLower(nil, v))
	if _, ok := r.learned[f]; !ok {
		r.learned[f] = struct{}{}
		r.recent = append(r.recent, f)
		r.dirty.Store(true)
	}
}

// LearnPassword learns a plaintext password together with its lower-case hex
// MD5, the form the vendor's login takes it in (loginPwd). Upper-case hex is
// caught too, since matching folds case.
func (r *Redactor) LearnPassword(plain string) {
	sum := md5.Sum([]byte(plain))
	r.Learn(plain, hex.EncodeToString(sum[:]))
}

func learnable(v string) bool {
	if len(v) < minLearn || pieceOfMask(v) || strings.TrimSpace(v) == "" {
		return false
	}
	switch strings.ToLower(v) {
	case "null", "true", "false":
		return false
	}
	return true
}

// current returns the automata for the learned values, rebuilding first if
// a value was learned since the last build: the recent tier alone, or, once
// it outgrows a quarter of the settled tier, the settled tier from every
// value (see automata). Readers that find it clean take no lock.
func (r *Redactor) current() *automata {
	if !r.dirty.Load() {
		return r.m.Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty.Load() {
		a := &automata{}
		if prev := r.m.Load(); prev != nil {
			a.settled = prev.settled
		}
		if settled := len(r.learned) - len(r.recent); a.settled == nil || len(r.recent) > max(minRecent, settled/4) {
			patterns := make([]string, 0, len(r.learned))
			for v := range r.learned {
				patterns = append(patterns, v)
			}
			a.settled, r.recent = newMatcher(patterns), r.recent[:0]
		} else {
			a.recent = newMatcher(r.recent)
		}
		r.m.Store(a)
		r.dirty.Store(false)
	}
	return r.m.Load()
}

// Text redacts free text: every learned value, and every value the
// detectors recognise without having seen it (e-mail addresses, phone and
// card numbers, ID numbers, tokens, values under sensitive keys in
// `"key": value` and `key=value` pairs, also in JSON cut short), becomes
// "[redacted]". Detected values are learned first, so a value echoed before
// the key that marks it is caught as well. Overlapping values are replaced
// as one span, so no fragment of either survives. Text(Text(s)) == Text(s).
func (r *Redactor) Text(s string) string {
	// A mask can expose what it stood beside: "phone":1397 13970000000 reads
	// as one 15-digit run until the key's value 1397 is masked, and then the
	// mobile number after it is detectable. So a changed text is redacted
	// again until nothing changes (each round only masks more, so this ends;
	// the bound is a guard). Text that needs no mask costs one round.
	out := r.textOnce(s)
	for i := 0; i < 4 && out != s; i++ {
		s, out = out, r.textOnce(out)
	}
	return out
}

// textOnce is one round of Text.
func (r *Redactor) textOnce(s string) string {
	d := r.keys.detect(s)
	r.Learn(d.learn...)
	spans := find(r.current(), s)
	if len(d.spans) > 0 {
		spans = mergeSpans(append(spans, d.spans...))
	}
	if spans = outsideMasks(s, spans); len(spans) == 0 {
		return s
	}
	return string(replace(make([]byte, 0, len(s)), s, spans))
}

// Known replaces only learned values, without the detectors. It is for
// whole documents we wrote ourselves (results.json, ginkgo.json) whose
// vendor text already went through Text or JSON: there the detectors would
// read our own hashes and ids as secrets.
func (r *Redactor) Known(s string) string {
	spans := outsideMasks(s, find(r.current(), s))
	if len(spans) == 0 {
		return s
	}
	return string(replace(make([]byte, 0, len(s)), s, spans))
}

// Sensitive reports whether values under the JSON or header key name are
// masked.
func (r *Redactor) Sensitive(key string) bool {
	var buf [64]byte
	return r.keys.lookup(appendLower(buf[:0], key)) != plain
}

// SensitivePointer reports whether a JSON Pointer (RFC 6901) passes through a
// sensitive key, so a schema violation or a drift entry at that pointer must
// not show the value it saw. "/data/email" and "/data/address/0/city" are
// sensitive; "/data/accountList/0/currency" is not.
func (r *Redactor) SensitivePointer(ptr string) bool {
	for _, seg := range strings.Split(ptr, "/") {
		if seg == "" {
			continue
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if r.Sensitive(seg) {
			return true
		}
	}
	return false
}

// Header returns a copy of h in which the values of sensitive headers
// (token, apiKey, signature, Authorization, Cookie, Set-Cookie,
// X-Mmcontract-Signature and every configured key) are masked and learned,
// and every other value has learned values scrubbed. A nil h gives nil.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	// Learn first, so a token that also appears in another header (a
	// Referer carrying it as a query parameter, say) is caught there too.
	var learn []string
	for k, vs := range h {
		if r.Sensitive(k) {
			for _, v := range vs {
				learn = append(learn, headerSecrets(k, v)...)
			}
		}
	}
	r.Learn(learn...)
	out := make(http.Header, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		sensitive := r.Sensitive(k)
		for i, v := range vs {
			if sensitive {
				cp[i] = Mask(v)
			} else {
				cp[i] = r.Text(v)
			}
		}
		out[k] = cp
	}
	return out
}

// headerSecrets returns the literals worth learning from a sensitive header
// value: the whole value plus its credential parts, because the parts turn
// up alone elsewhere (a bearer token in a curl line, a cookie value in a
// log).
func headerSecrets(name, v string) []string {
	out := []string{v}
	lname := strings.ToLower(name)
	switch {
	case strings.Contains(lname, "cookie"):
		if lname == "set-cookie" {
			v, _, _ = strings.Cut(v, ";")
		}
		for _, part := range strings.Split(v, ";") {
			if _, val, ok := strings.Cut(part, "="); ok {
				out = append(out, strings.Trim(strings.TrimSpace(val), `"`))
			}
		}
	case strings.Contains(lname, "authorization"):
		if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			out = append(out, strings.TrimSpace(cred))
		}
	}
	return out
}

// The string masks, one per length class. Length is counted in characters
// (runes) of the decoded value. The classes are coarse on purpose: fine
// enough that a phone number turning into a 40-character blob shows up as
// drift, coarse enough to say little about the value.
const (
	maskShort  = "[redacted:1-8]"
	maskMedium = "[redacted:9-32]"
	maskLong   = "[redacted:33+]"
)

// Mask returns the shape-keeping mask for a sensitive string value: "" for
// an empty string, else a fixed mask naming the length class. A mask is its
// own mask, so redacting twice changes nothing.
func Mask(v string) string {
	if v == "" || isMask(v) {
		return v
	}
	switch n := utf8.RuneCountInString(v); {
	case n <= 8:
		return maskShort
	case n <= 32:
		return maskMedium
	default:
		return maskLong
	}
}

func isMask(v string) bool {
	return v == maskShort || v == maskMedium || v == maskLong || v == textMask
}

// pieceOfMask reports whether v is a piece of a mask ("redacted",
// "[redacted"): learning such a value would make the next pass mask the
// masks themselves, and redaction would no longer be idempotent.
func pieceOfMask(v string) bool {
	lv := strings.ToLower(v)
	for _, m := range [...]string{maskShort, maskMedium, maskLong, textMask} {
		if strings.Contains(m, lv) {
			return true
		}
	}
	return false
}

// outsideMasks drops the spans that cut into a mask already in s: a mask is
// replaced whole or left alone, never split, so redacting twice equals
// redacting once. A span that covers a whole mask and more stays.
func outsideMasks[T string | []byte](s T, spans []span) []span {
	out := spans[:0]
	for _, sp := range spans {
		if !cutsMask(s, sp) {
			out = append(out, sp)
		}
	}
	return out
}

// cutsMask reports whether sp overlaps a mask in s without covering it.
func cutsMask[T string | []byte](s T, sp span) bool {
	const open = "[redacted"
	// A mask that sp could touch starts at most len(maskMedium) before it.
	from := max(0, sp.start-len(maskMedium))
	for i := from; i < sp.end && i < len(s); i++ {
		if s[i] != '[' || len(s)-i < len(open) || string(s[i:i+len(open)]) != open {
			continue
		}
		end := i + len(open)
		for end < len(s) && end-i < len(maskMedium) && s[end] != ']' {
			end++
		}
		if end >= len(s) || s[end] != ']' {
			continue
		}
		end++ // past ']'
		if sp.start < end && i < sp.end && !(sp.start <= i && end <= sp.end) {
			return true
		}
	}
	return false
}

// jsonInner is v as it appears between the quotes of a JSON string written
// without HTML escaping (encoding/json's SetEscapeHTML(false), our own
// writer).
func jsonInner(v string) string {
	b := jsontok.AppendString(nil, v)
	return string(b[1 : len(b)-1])
}

// htmlEscapedJSON is v as encoding/json.Marshal writes it by default, with
// <, > and & as \u003c, \u003e and \u0026.
func htmlEscapedJSON(v string) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 {
		return v
	}
	return string(b[1 : len(b)-1])
}
