package signing

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// Encrypted-mode constants.
const (
	// ChunkChars is the length of the URL-encoded plaintext pieces that are
	// encrypted one by one (the vendor's H5 client and Java demo both use
	// 100; 100 bytes fit a 1024-bit key's 117-byte PKCS#1 v1.5 limit).
	ChunkChars = 100
	// TracePrefix marks a request whose body is encrypted.
	TracePrefix = "x-"
	// BodyTimestamp and BodySignature are the body fields the scheme adds.
	BodyTimestamp = "timestamp"
	BodySignature = "signature"
)

// Errors of the encrypted mode, for errors.Is. Their wrapping messages never
// include plaintext, ciphertext or the signature.
var (
	// ErrDecrypt: the {"data":...} body cannot be decrypted and URL-decoded.
	ErrDecrypt = errors.New("encrypted body cannot be decrypted")
	// ErrClientSignature: the decrypted body's MD5 signature is missing or
	// does not match. The vendor's code for this case is not documented.
	ErrClientSignature = errors.New("encrypted body signature mismatch")
)

// ClientSignString builds the string whose MD5 is the encrypted-mode
// signature, for the business body and the timestamp header value. As the
// vendor's clients do, timestamp is first put into the body (replacing any
// timestamp field), then C = "timestamp=<ts>&" + the body's string and
// number fields, non-empty, signature excluded, sorted by name in Java
// TreeMap order (UTF-16 code units: "B" < "a"; the H5 client's localeCompare
// would differ, but the server is Java), joined as k=v with "&". Timestamp
// therefore appears twice. Values are the decoded strings and the numbers'
// JSON text, unescaped. Objects, arrays, booleans and nulls are skipped.
//
// {"parentCode":"USDT"} with 1722093946335 gives
// timestamp=1722093946335&parentCode=USDT&timestamp=1722093946335.
func ClientSignString(body []byte, timestamp string) (string, error) {
	if err := checkTimestamp(timestamp); err != nil {
		return "", err
	}
	m, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	m[BodyTimestamp] = json.Number(timestamp)
	return clientSignString(m, timestamp), nil
}

func clientSignString(m map[string]any, timestamp string) string {
	var b strings.Builder
	b.WriteString("timestamp=")
	b.WriteString(timestamp)
	for _, k := range sortedKeys(m) {
		if k == BodySignature {
			continue
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case json.Number:
			v = string(x)
		default:
			continue
		}
		if v == "" {
			continue
		}
		b.WriteByte('&')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// ClientSignature is the uppercase hex MD5 of a ClientSignString result.
func ClientSignature(signString string) string {
	sum := md5.Sum([]byte(signString))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// SignClientBody returns the plaintext JSON the encrypted mode encrypts:
// body plus "timestamp" (as a number, like the vendor's clients) and
// "signature". Keys come out sorted, as from the Java demo's TreeMap; number
// text and null members are preserved.
func SignClientBody(body []byte, timestamp string) (plain []byte, signature string, err error) {
	if err := checkTimestamp(timestamp); err != nil {
		return nil, "", err
	}
	m, err := decodeObject(body)
	if err != nil {
		return nil, "", err
	}
	m[BodyTimestamp] = json.Number(timestamp)
	signature = ClientSignature(clientSignString(m, timestamp))
	m[BodySignature] = signature
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, "", fmt.Errorf("encode signed body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), signature, nil
}

// EncryptClientBody turns plaintext JSON into the value of the wire body's
// "data" field: URL-encode (Java URLEncoder.encode(s, "UTF-8") rules, see
// javaURLEncode), cut into ChunkChars-character pieces, RSA PKCS#1 v1.5
// encrypt each with the company public key, base64 each, join with ",".
func EncryptClientBody(plain []byte, pub *rsa.PublicKey) (string, error) {
	if pub == nil {
		return "", errors.New("encrypt body: no company public key")
	}
	if pub.Size()-11 < ChunkChars {
		return "", fmt.Errorf("encrypt body: %d-bit key cannot hold a %d-byte chunk", pub.N.BitLen(), ChunkChars)
	}
	enc := javaURLEncode(plain)
	var out strings.Builder
	out.Grow((len(enc)/ChunkChars + 1) * (base64.StdEncoding.EncodedLen(pub.Size()) + 1))
	for i := 0; i < len(enc); i += ChunkChars {
		chunk := enc[i:min(i+ChunkChars, len(enc))]
		// PKCS#1 v1.5 encryption is what the vendor's server decrypts
		// (Java Cipher "RSA" = RSA/ECB/PKCS1Padding); OAEP is not an option.
		ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(chunk)) //nolint:staticcheck // vendor protocol
		if err != nil {
			return "", fmt.Errorf("encrypt body chunk %d: %w", i/ChunkChars, err)
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(base64.StdEncoding.EncodeToString(ct))
	}
	return out.String(), nil
}

// DecryptClientBody is the server side of EncryptClientBody: it takes the
// wire body {"data":"c1,c2,..."} and returns the plaintext JSON. Errors wrap
// ErrDecrypt and name only the failing chunk's index.
func DecryptClientBody(body []byte, priv *rsa.PrivateKey) ([]byte, error) {
	if priv == nil {
		return nil, fmt.Errorf("%w: no private key", ErrDecrypt)
	}
	var wire struct {
		Data *string `json:"data"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, fmt.Errorf("%w: body is not {\"data\": string}: %s", ErrDecrypt, syntaxOnly(err))
	}
	if wire.Data == nil || *wire.Data == "" {
		return nil, fmt.Errorf("%w: data field missing or empty", ErrDecrypt)
	}
	var enc []byte
	for i, part := range strings.Split(*wire.Data, ",") {
		ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d is not base64", ErrDecrypt, i)
		}
		pt, err := rsa.DecryptPKCS1v15(nil, priv, ct) //nolint:staticcheck // vendor protocol
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d does not decrypt with this key", ErrDecrypt, i)
		}
		enc = append(enc, pt...)
	}
	// url.QueryUnescape decodes exactly what Java's URLDecoder does ('+' is
	// a space), so bodies from encodeURIComponent clients decode too.
	plain, err := url.QueryUnescape(string(enc))
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted text is not URL-encoded", ErrDecrypt)
	}
	return []byte(plain), nil
}

// VerifyClientSignature checks the signature inside a decrypted body, as
// the vendor's verifySign does. headerTimestamp is the request's timestamp
// header; when non-empty the body's timestamp must equal it (the scheme
// signs both and a mismatch means a replayed or forged body). Errors wrap
// ErrClientSignature or ErrBody.
func VerifyClientSignature(plain []byte, headerTimestamp string) error {
	m, err := decodeObject(plain)
	if err != nil {
		return err
	}
	got, _ := m[BodySignature].(string)
	if got == "" {
		return fmt.Errorf("%w: signature field missing", ErrClientSignature)
	}
	var ts string
	switch x := m[BodyTimestamp].(type) {
	case json.Number:
		ts = string(x)
	case string:
		ts = x
	}
	if ts == "" {
		return fmt.Errorf("%w: timestamp field missing", ErrClientSignature)
	}
	if headerTimestamp != "" && ts != headerTimestamp {
		return fmt.Errorf("%w: body timestamp differs from the timestamp header", ErrClientSignature)
	}
	want := ClientSignature(clientSignString(m, ts))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("%w: signature does not match the body", ErrClientSignature)
	}
	return nil
}

// IsEncrypted reports whether a request declares an encrypted body: its
// trace header starts with TracePrefix.
func IsEncrypted(h http.Header) bool {
	return strings.HasPrefix(h.Get(HeaderTrace), TracePrefix)
}

// OpenClientRequest is what the simulator calls for an encrypted Client or
// Manager request: it decrypts body with the company private key and checks
// the signature against the timestamp header, returning the business JSON
// (still carrying timestamp and signature, as the vendor's services see it).
func OpenClientRequest(h http.Header, body []byte, priv *rsa.PrivateKey) ([]byte, error) {
	plain, err := DecryptClientBody(body, priv)
	if err != nil {
		return nil, err
	}
	if err := VerifyClientSignature(plain, h.Get(HeaderTimestamp)); err != nil {
		return nil, err
	}
	return plain, nil
}

// EncryptedTransport sends Client or Manager API requests in the vendor's
// encrypted mode (used when MM_COMPANY_PUBLIC_KEY is set). It never
// modifies the caller's request; the clone it sends carries:
//   - timestamp header: kept when present, else Now() in milliseconds; the
//     same value goes into the body and the signature;
//   - trace header: prefixed "x-" unless it already is (set the prefix in
//     the client if its recorded trace must match the wire); a request
//     without a trace gets a generated one;
//   - body {"data":"..."}: see SignClientBody and EncryptClientBody.
//
// Responses are passed through untouched: the vendor answers in clear.
// EncryptedTransport is safe for concurrent use once configured.
type EncryptedTransport struct {
	// Base sends the encrypted request; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Pub is the company public key, see ParsePublicKey.
	Pub *rsa.PublicKey
	// Now is the clock for the timestamp header; nil means time.Now.
	Now func() time.Time
	// Redactor, when set, learns each body signature and scrubs the text of
	// errors returned by Base.
	Redactor *redact.Redactor
}

var _ http.RoundTripper = (*EncryptedTransport)(nil)

// RoundTrip implements http.RoundTripper.
func (t *EncryptedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	fail := func(err error) (*http.Response, error) {
		closeBody(req)
		return nil, fmt.Errorf("encrypted mode %s: %w", req.URL.Path, err)
	}
	if t.Pub == nil {
		return fail(errors.New("no company public key configured (MM_COMPANY_PUBLIC_KEY)"))
	}
	body, err := readBody(req)
	if err != nil {
		return fail(err)
	}
	ts := req.Header.Get(HeaderTimestamp)
	if ts == "" {
		ts = strconv.FormatInt(now(t.Now).UnixMilli(), 10)
	}
	plain, sig, err := SignClientBody(body, ts)
	if err != nil {
		return fail(err)
	}
	if t.Redactor != nil {
		t.Redactor.Learn(sig)
	}
	data, err := EncryptClientBody(plain, t.Pub)
	if err != nil {
		return fail(err)
	}
	wire, err := json.Marshal(map[string]string{"data": data})
	if err != nil {
		return fail(fmt.Errorf("encode wire body: %w", err))
	}
	out := cloneWithBody(req, wire, true)
	out.Header.Set(HeaderTimestamp, ts)
	out.Header.Set("Content-Type", "application/json")
	tr := out.Header.Get(HeaderTrace)
	if tr == "" {
		if tr, err = newTrace(now(t.Now)); err != nil {
			return fail(err)
		}
	}
	if !strings.HasPrefix(tr, TracePrefix) {
		tr = TracePrefix + tr
	}
	out.Header.Set(HeaderTrace, tr)
	resp, err := base(t.Base).RoundTrip(out)
	if err != nil {
		return nil, scrub(t.Redactor, err)
	}
	return resp, nil
}

// newTrace makes a trace in the vendor H5 client's shape,
// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx-<epochMs>.
func newTrace(at time.Time) (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("generate trace: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s-%d", h[:8], h[8:12], h[12:16], h[16:20], h[20:], at.UnixMilli()), nil
}

// javaURLEncode encodes like java.net.URLEncoder.encode(s, "UTF-8"): ASCII
// letters, digits and ".-*_" stay, space becomes '+', every other byte
// becomes %XX (uppercase). The vendor's server-side demo encodes with
// URLEncoder and decodes with URLDecoder, so this is the form its decoder is
// written for; encodeURIComponent output (the H5 client's) differs only in
// characters URLDecoder also accepts, and the chunk boundaries depend on the
// encoded length, so matching the Java form keeps chunking identical to the
// vendor's own encoder.
func javaURLEncode(b []byte) string {
	const hexUpper = "0123456789ABCDEF"
	var out strings.Builder
	out.Grow(len(b) * 3 / 2)
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			out.WriteByte(c)
		case c == ' ':
			out.WriteByte('+')
		default:
			out.WriteByte('%')
			out.WriteByte(hexUpper[c>>4])
			out.WriteByte(hexUpper[c&0xf])
		}
	}
	return out.String()
}
