package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// Open API header names. Go canonicalises them on the wire ("Apikey",
// "Recvwindow"); the vendor's gateway reads headers case-insensitively, as
// its own docs show them both ways.
const (
	HeaderAPIKey     = "apiKey"
	HeaderTimestamp  = "timestamp"
	HeaderRecvWindow = "recvWindow"
	HeaderSignature  = "signature"
	HeaderTrace      = "trace"
	headerToken      = "token"
)

// DefaultRecvWindow is the vendor's documented example window.
const DefaultRecvWindow = 5000 * time.Millisecond

// MaxRecvWindow caps what VerifyOpenAPI accepts from a client. The vendor
// does not document a cap; without one a client could send a huge
// recvWindow and make the stale-timestamp check meaningless, so the
// simulator follows the common exchange convention of one minute.
const MaxRecvWindow = 60 * time.Second

// Code is a vendor Open API authentication code, returned in the envelope's
// code field.
type Code string

// The Open API authentication codes. This package produces the first two;
// the others are decided by the caller (key lookup, permissions, rate
// limiting, expiry, IP allow-list) and are listed so that the simulator and
// the suites share one spelling.
const (
	CodeSignatureFailed Code = "00012001"
	CodeOutsideWindow   Code = "00012002"
	CodeUnknownAPIKey   Code = "00012003"
	CodeNoPermission    Code = "00012004"
	CodeTooFrequent     Code = "00012005"
	CodeKeyExpired      Code = "00012006"
	CodeIllegalIP       Code = "00012007"
)

var codeInfo = map[Code]struct{ en, vendor string }{
	CodeSignatureFailed: {"signature verification failed", "验证签名失败"},
	CodeOutsideWindow:   {"request outside the time window", "请求已超出时间空窗"},
	CodeUnknownAPIKey:   {"unknown API key", "请求的API_KEY不存在"},
	CodeNoPermission:    {"no permission for this API", "当前没有对该API的请求权限"},
	CodeTooFrequent:     {"too many requests", "请求过于频繁"},
	CodeKeyExpired:      {"API key expired", "API已过期"},
	CodeIllegalIP:       {"illegal IP address", "非法IP地址"},
}

// Description is a short English description of the code.
func (c Code) Description() string {
	if i, ok := codeInfo[c]; ok {
		return i.en
	}
	return "unknown open api code"
}

// VendorMessage is the msg text the vendor's error table gives for the code
// (in Chinese, the table's language), for a simulator that answers as the
// vendor does. It is "" for codes outside the table.
func (c Code) VendorMessage() string { return codeInfo[c].vendor }

// VerifyError is a failed Open API authentication check. Match a class of
// failure with errors.Is(err, ErrSignatureFailed) or ErrOutsideWindow, or
// read Code with errors.As. Reason never contains key, signature or body
// material.
type VerifyError struct {
	Code   Code
	Reason string
	Err    error
}

// Sentinels for errors.Is; they match any VerifyError with the same Code.
var (
	ErrSignatureFailed = &VerifyError{Code: CodeSignatureFailed}
	ErrOutsideWindow   = &VerifyError{Code: CodeOutsideWindow}
)

func (e *VerifyError) Error() string {
	msg := "open api " + string(e.Code) + " (" + e.Code.Description() + ")"
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause, such as ErrBody.
func (e *VerifyError) Unwrap() error { return e.Err }

// Is reports whether target is a VerifyError sentinel with the same Code.
func (e *VerifyError) Is(target error) bool {
	t, ok := target.(*VerifyError)
	return ok && t.Reason == "" && t.Err == nil && t.Code == e.Code
}

// StringToSign builds the Open API string to sign from a JSON request body
// and the timestamp header value.
//
// The documented rule: the body's fields sorted by name, fields whose value
// is null left out, every double quote removed (braces kept), the timestamp
// appended. The docs' example body {"companyId":1,"lang":"zh-CN",
// "customerNo":"86001308"} with timestamp 1650361143685 gives
// {companyId:1,customerNo:86001308,lang:zh-CN}1650361143685.
//
// The docs are silent on nested values. That example is exactly what a Java
// service gets from serialising a sorted map with a JSON library and then
// deleting '"' (Map.toString would give "{companyId=1, customerNo=...}"
// with '=' and spaces, which the example rules out), so this function does
// the same at every depth:
//   - objects: compact JSON, keys in Java String order (UTF-16 code units,
//     what TreeMap uses), null-valued members omitted at every depth (the
//     default of fastjson and hutool, and the documented top-level rule);
//   - arrays: elements in their order, separated by ',', null elements kept
//     as null (dropping them would shift positions);
//   - numbers: their JSON text exactly as sent (1.50 stays 1.50), because
//     the vendor's parser keeps decimals as BigDecimal;
//   - strings: JSON-escaped as fastjson does (only '"', '\\' and control
//     characters), then every '"' removed, so a value say "hi" signs as
//     say \hi\ (the escaping backslashes stay: they are not quotes);
//   - booleans: true / false.
//
// So {"b":{"y":null,"x":[1,{"q":2,"p":"s"}]},"a":true} with timestamp 1
// signs {a:true,b:{x:[1,{p:s,q:2}]}}1. Sorting nested keys also makes the
// result independent of the order in which the client wrote them, which is
// the only safe choice when the server may re-sort. An empty body signs as
// {} followed by the timestamp. A body that is not a JSON object is an error
// wrapping ErrBody. The timestamp must be decimal digits.
func StringToSign(body []byte, timestamp string) (string, error) {
	if err := checkTimestamp(timestamp); err != nil {
		return "", err
	}
	m, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	return stringToSign(m, timestamp), nil
}

func stringToSign(m map[string]any, timestamp string) string {
	var b strings.Builder
	b.Grow(64 + 16*len(m))
	writeCanonical(&b, m)
	s := strings.ReplaceAll(b.String(), `"`, "")
	return s + timestamp
}

func checkTimestamp(ts string) error {
	if ts == "" {
		return errors.New("timestamp is empty")
	}
	if len(ts) > 19 {
		return fmt.Errorf("timestamp has %d digits, more than an int64", len(ts))
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return errors.New("timestamp is not decimal milliseconds")
		}
	}
	return nil
}

// SignOpenAPI returns the signature header value for body and timestamp:
// base64 (standard, padded) of SHA1withRSA, PKCS#1 v1.5, over
// StringToSign(body, timestamp) in UTF-8.
func SignOpenAPI(key *rsa.PrivateKey, body []byte, timestamp string) (string, error) {
	if key == nil {
		return "", errors.New("open api sign: no private key")
	}
	s, err := StringToSign(body, timestamp)
	if err != nil {
		return "", fmt.Errorf("open api sign: %w", err)
	}
	return signString(key, s)
}

func signString(key *rsa.PrivateKey, s string) (string, error) {
	sum := sha1.Sum([]byte(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, sum[:])
	if err != nil {
		// rsa errors describe sizes, never key material.
		return "", fmt.Errorf("open api sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyOpenAPISignature checks a signature header value against body and
// timestamp with the caller's public key. It returns nil or a *VerifyError
// with CodeSignatureFailed.
func VerifyOpenAPISignature(pub *rsa.PublicKey, body []byte, timestamp, signature string) error {
	if pub == nil {
		return &VerifyError{Code: CodeSignatureFailed, Reason: "no public key for this API key"}
	}
	if signature == "" {
		return &VerifyError{Code: CodeSignatureFailed, Reason: "signature header missing"}
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return &VerifyError{Code: CodeSignatureFailed, Reason: "signature header is not standard base64"}
	}
	s, err := StringToSign(body, timestamp)
	if err != nil {
		return &VerifyError{Code: CodeSignatureFailed, Reason: "cannot build the string to sign", Err: err}
	}
	sum := sha1.Sum([]byte(s))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig); err != nil {
		return &VerifyError{Code: CodeSignatureFailed, Reason: "signature does not match the request"}
	}
	return nil
}

// VerifyOpenAPI authenticates an Open API request as the vendor's gateway
// does, given the public key registered for its apiKey header (looking the
// key up, and answering CodeUnknownAPIKey, is the caller's job) and the
// request body the caller has already read.
//
// The time window is checked first, so a stale request reports
// CodeOutsideWindow whatever its signature: the vendor's order is not
// documented and this is the order of the common exchange gateways. The
// window is symmetric, |now - timestamp| <= recvWindow, with recvWindow from
// its header (default DefaultRecvWindow, at most MaxRecvWindow); a missing
// or malformed timestamp or recvWindow is also CodeOutsideWindow.
func VerifyOpenAPI(r *http.Request, pub *rsa.PublicKey, now time.Time, body []byte) error {
	ts := r.Header.Get(HeaderTimestamp)
	if err := checkTimestamp(ts); err != nil {
		return &VerifyError{Code: CodeOutsideWindow, Reason: "timestamp header: " + err.Error()}
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &VerifyError{Code: CodeOutsideWindow, Reason: "timestamp header is out of range"}
	}
	window := DefaultRecvWindow
	if rw := r.Header.Get(HeaderRecvWindow); rw != "" {
		n, err := strconv.ParseInt(rw, 10, 64)
		if err != nil || n <= 0 || n > MaxRecvWindow.Milliseconds() {
			return &VerifyError{Code: CodeOutsideWindow, Reason: fmt.Sprintf("recvWindow header must be 1..%d ms", MaxRecvWindow.Milliseconds())}
		}
		window = time.Duration(n) * time.Millisecond
	}
	skew := now.Sub(time.UnixMilli(ms))
	if skew > window || -skew > window {
		return &VerifyError{Code: CodeOutsideWindow, Reason: fmt.Sprintf("timestamp is %s from server time, window %s", skew.Round(time.Millisecond), window)}
	}
	return VerifyOpenAPISignature(pub, body, ts, r.Header.Get(HeaderSignature))
}

// OpenAPITransport signs each request for the Open API family. It never
// modifies the caller's request: it reads (and closes) the body, then sends
// a clone carrying the same body and these headers:
//   - apiKey: APIKey;
//   - timestamp: kept when the request already has one (so the client's
//     recorded header and the signature agree, and a negative test can send
//     a stale one), else Now() in milliseconds;
//   - recvWindow: kept when present, else RecvWindow in milliseconds;
//   - signature: SignOpenAPI over the body and that timestamp.
//
// A token header is removed: the vendor says Open API calls ignore it, and
// it is a secret that has no business travelling there.
//
// OpenAPITransport is safe for concurrent use once configured.
type OpenAPITransport struct {
	// Base sends the signed request; nil means http.DefaultTransport.
	Base http.RoundTripper
	// APIKey is the vendor's apiKey (MM_API_KEY).
	APIKey string
	// Key is the secret key (MM_API_SECRET), see ParsePrivateKey.
	Key *rsa.PrivateKey
	// RecvWindow is sent as the recvWindow header; 0 means DefaultRecvWindow.
	RecvWindow time.Duration
	// Now is the clock for the timestamp header; nil means time.Now.
	Now func() time.Time
	// Redactor, when set, learns the API key and each signature, and scrubs
	// the text of errors returned by Base.
	Redactor *redact.Redactor
}

var _ http.RoundTripper = (*OpenAPITransport)(nil)

// RoundTrip implements http.RoundTripper.
func (t *OpenAPITransport) RoundTrip(req *http.Request) (*http.Response, error) {
	fail := func(err error) (*http.Response, error) {
		closeBody(req)
		return nil, fmt.Errorf("open api signing %s: %w", req.URL.Path, err)
	}
	if t.Key == nil {
		return fail(errors.New("no secret key configured (MM_API_SECRET)"))
	}
	if t.APIKey == "" {
		return fail(errors.New("no API key configured (MM_API_KEY)"))
	}
	if t.RecvWindow < 0 || (t.RecvWindow > 0 && t.RecvWindow < time.Millisecond) {
		return fail(fmt.Errorf("recvWindow %s is not a positive number of milliseconds", t.RecvWindow))
	}
	body, err := readBody(req)
	if err != nil {
		return fail(err)
	}
	out := cloneWithBody(req, body, false)
	ts := out.Header.Get(HeaderTimestamp)
	if ts == "" {
		ts = strconv.FormatInt(now(t.Now).UnixMilli(), 10)
		out.Header.Set(HeaderTimestamp, ts)
	}
	if out.Header.Get(HeaderRecvWindow) == "" {
		rw := t.RecvWindow
		if rw == 0 {
			rw = DefaultRecvWindow
		}
		out.Header.Set(HeaderRecvWindow, strconv.FormatInt(rw.Milliseconds(), 10))
	}
	out.Header.Del(headerToken)
	sig, err := SignOpenAPI(t.Key, body, ts)
	if err != nil {
		return fail(err)
	}
	if t.Redactor != nil {
		t.Redactor.Learn(t.APIKey, sig)
	}
	out.Header.Set(HeaderAPIKey, t.APIKey)
	out.Header.Set(HeaderSignature, sig)
	resp, err := base(t.Base).RoundTrip(out)
	if err != nil {
		return nil, scrub(t.Redactor, err)
	}
	return resp, nil
}

// Secrets lists the literal values a redactor must learn before anything
// this transport touches can be printed: the API key, and the secret key as
// the vendor's one-line base64 plus each 64-character line of its PEM form
// (a PEM body is the same base64 wrapped, so the lines also catch a key that
// was pasted wrapped). Per-request signatures are learnt as they are made
// when Redactor is set; without one, learn each sent signature header.
func (t *OpenAPITransport) Secrets() []string {
	var out []string
	if t.APIKey != "" {
		out = append(out, t.APIKey)
	}
	if t.Key != nil {
		if s, err := EncodePrivateKey(t.Key); err == nil {
			out = append(out, s)
			for len(s) > 64 {
				out = append(out, s[:64])
				s = s[64:]
			}
			out = append(out, s)
		}
	}
	return out
}
