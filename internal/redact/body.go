package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// MaxUndecodablePrefix bounds what an artifact keeps of a body that is not
// JSON: a truncated envelope, an HTML error page, a body over the size cap.
// Such bodies cannot be masked by key with certainty, so only a short,
// scrubbed prefix is kept, with the length and hash that identify the rest.
const MaxUndecodablePrefix = 2 << 10

// LearnBody learns every value a response body carries under a sensitive
// key, without writing anything: a valid JSON body by its keys, anything
// else with the tolerant scanner and the detectors. The client calls it on
// every response, the login response first, so the customer's e-mail, phone
// and names are known before any free text (a vendor msg, an error page) is
// written.
func (r *Redactor) LearnBody(body []byte) {
	if len(body) == 0 {
		return
	}
	collect := walker{r: r}
	if _, err := collect.run(body, nil); err == nil {
		r.Learn(collect.learn...)
		return
	}
	d := r.keys.detect(string(body))
	r.Learn(d.learn...)
}

// Body returns what an artifact may keep of a response or request body. A
// valid JSON body is redacted whole (JSON) and reported as decodable. Any
// other body is reduced to at most MaxUndecodablePrefix bytes of scrubbed
// prefix followed by a line naming its full length and SHA-256, so the full
// bytes never reach a report.
func (r *Redactor) Body(body []byte) (out []byte, decodable bool) { return r.BodyPrefix(body, 0) }

// BodyPrefix is Body for a caller that keeps only the first limit bytes of
// a decodable body (0: all of it): the redacted JSON is written only that
// far, so recording a 7 MB list for its first 64 KB does not redact all of
// it twice. Its first limit bytes are exactly Body's.
func (r *Redactor) BodyPrefix(body []byte, limit int) (out []byte, decodable bool) {
	if len(body) == 0 {
		return r.JSON(body), true
	}
	if out, ok := r.redactJSONPrefix(body, limit); ok {
		return out, true
	}
	// Scrub a window longer than the prefix, so a value that straddles the
	// cut is seen whole and masked, then cut inside the scrubbed text.
	window := body[:validUTF8Cut(body, 3*MaxUndecodablePrefix)]
	scrubbed := []byte(r.Text(string(window)))
	cut := validUTF8Cut(scrubbed, MaxUndecodablePrefix)
	if i := lastMaskStart(scrubbed[:cut]); i >= 0 && i+len(textMask) > cut {
		cut = i // never split a mask: half a mask reads like data
	}
	sum := sha256.Sum256(body)
	out = append(scrubbed[:cut:cut], fmt.Sprintf("\n[not JSON: %d bytes, sha256:%s; only the first %d bytes are kept, redacted]",
		len(body), hex.EncodeToString(sum[:]), cut)...)
	return out, false
}

// lastMaskStart returns the index of the last '[' that may begin a text
// mask cut off at the end of b, or -1.
func lastMaskStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-len(textMask); i-- {
		if b[i] == '[' && string(b[i:]) == textMask[:len(b)-i] {
			return i
		}
	}
	return -1
}
