package signing

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Ensure the string to sign follows the documented rule and this package's
// documented choices for what the docs leave open.
func TestStringToSign(t *testing.T) {
	tests := []struct {
		name, body, ts, want string
	}{
		{"docs vector", `{"companyId":1,"lang":"zh-CN","customerNo":"86001308"}`, "1650361143685",
			`{companyId:1,customerNo:86001308,lang:zh-CN}1650361143685`},
		{"whitespace in the body is not signed", "{ \"b\" : 2 ,\n \"a\" : \"x y\" }", "7", `{a:x y,b:2}7`},
		{"top-level null dropped", `{"a":null,"b":"1"}`, "1", `{b:1}1`},
		{"nested null dropped", `{"o":{"y":null,"x":1}}`, "1", `{o:{x:1}}1`},
		{"object of only nulls becomes empty", `{"o":{"y":null}}`, "1", `{o:{}}1`},
		{"null array element kept", `{"a":[1,null,"s"]}`, "1", `{a:[1,null,s]}1`},
		{"empty string kept", `{"a":"","b":0}`, "1", `{a:,b:0}1`},
		{"quotes inside values removed, escapes stay", `{"a":"say \"hi\""}`, "1", `{a:say \hi\}1`},
		{"backslash and control characters escaped as Java does", `{"a":"c:\\d\n\t\u0001"}`, "1", `{a:c:\\d\n\t\u0001}1`},
		{"html and non-ascii not escaped", `{"a":"<&>/中文é","b":"\u00e9"}`, "1", `{a:<&>/中文é,b:é}1`},
		{"numbers verbatim", `{"a":1.50,"b":1e3,"c":-0,"d":12345678901234567890123,"e":0.1E-7}`, "1",
			`{a:1.50,b:1e3,c:-0,d:12345678901234567890123,e:0.1E-7}1`},
		{"booleans", `{"t":true,"f":false}`, "1", `{f:false,t:true}1`},
		{"nested objects sorted recursively, arrays kept in order", `{"b":{"y":null,"x":[1,{"q":2,"p":"s"}]},"a":true}`, "1",
			`{a:true,b:{x:[1,{p:s,q:2}]}}1`},
		{"array of objects", `{"list":[{"z":1,"a":2},{"m":[]}]}`, "1", `{list:[{a:2,z:1},{m:[]}]}1`},
		{"ascii order puts upper case first", `{"a":1,"B":2,"_":3,"A1":4}`, "1", `{A1:4,B:2,_:3,a:1}1`},
		{"Java UTF-16 order, not UTF-8 byte order", `{"\uFFFD":1,"😀":2}`, "1", `{😀:2,�:1}1`},
		{"empty body", ``, "1", `{}1`},
		{"empty object", `{}`, "1", `{}1`},
		{"page request", `{"size":10,"current":1}`, "1650361143685", `{current:1,size:10}1650361143685`},
		{"duplicate key: last wins as in Java parsers", `{"a":1,"a":2}`, "1", `{a:2}1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := StringToSign([]byte(tc.body), tc.ts)
			if err != nil {
				t.Fatalf("StringToSign: %v", err)
			}
			if got != tc.want {
				t.Errorf("StringToSign(%s)\n got %s\nwant %s", tc.body, got, tc.want)
			}
		})
	}
}

// Ensure bodies and timestamps that cannot be signed are rejected with an
// error that does not quote the body.
func TestStringToSignRejects(t *testing.T) {
	const canary = "CANARY-PII-7731"
	tests := []struct {
		name, body, ts string
		wantBody       bool
	}{
		{"array body", `["` + canary + `"]`, "1", true},
		{"string body", `"` + canary + `"`, "1", true},
		{"invalid json", `{"a":"` + canary + `",}`, "1", true},
		{"truncated json", `{"a":"` + canary, "1", true},
		{"trailing data", `{"a":1} {"b":"` + canary + `"}`, "1", true},
		{"empty timestamp", `{}`, "", false},
		{"non-digit timestamp", `{}`, "12a", false},
		{"negative timestamp", `{}`, "-1", false},
		{"timestamp wider than int64", `{}`, strings.Repeat("9", 20), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := StringToSign([]byte(tc.body), tc.ts)
			if err == nil {
				t.Fatal("StringToSign succeeded, want error")
			}
			if tc.wantBody && !errors.Is(err, ErrBody) {
				t.Errorf("error %v does not wrap ErrBody", err)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error quotes the body: %v", err)
			}
		})
	}
}

// Ensure the signature is byte-for-byte what openssl produced for the docs'
// vector with the testdata key (PKCS#1 v1.5 is deterministic), so the
// canonical string, the hash and the encoding are all pinned.
func TestSignOpenAPIKnownAnswer(t *testing.T) {
	key := fixedKey(t)
	got, err := SignOpenAPI(key, []byte(`{"companyId":1,"lang":"zh-CN","customerNo":"86001308"}`), "1650361143685")
	if err != nil {
		t.Fatalf("SignOpenAPI: %v", err)
	}
	if want := readTestdata(t, "docs-vector.sig.b64"); got != want {
		t.Errorf("signature differs from openssl's\n got %s\nwant %s", got, want)
	}
	if len(got) != 172 {
		t.Errorf("1024-bit signature should be 172 base64 characters, got %d", len(got))
	}
	if err := VerifyOpenAPISignature(&key.PublicKey, []byte(`{"customerNo":"86001308","lang":"zh-CN","companyId":1}`), "1650361143685", got); err != nil {
		t.Errorf("signature does not verify for the same fields in another order: %v", err)
	}
}

func signedRequest(t *testing.T, body string, ts time.Time, recvWindow string, sign func(ts string) string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/openapi-c/global/x", strings.NewReader(body))
	tsText := strconv.FormatInt(ts.UnixMilli(), 10)
	r.Header.Set(HeaderTimestamp, tsText)
	if recvWindow != "" {
		r.Header.Set(HeaderRecvWindow, recvWindow)
	}
	r.Header.Set(HeaderSignature, sign(tsText))
	return r
}

// Ensure VerifyOpenAPI accepts a good request and maps each failure to the
// vendor's code.
func TestVerifyOpenAPI(t *testing.T) {
	key, other := fixedKey(t), freshKey(t)
	now := time.UnixMilli(1_700_000_000_000)
	const body = `{"current":1,"size":10}`
	good := func(ts string) string {
		s, err := SignOpenAPI(key, []byte(body), ts)
		if err != nil {
			t.Fatalf("SignOpenAPI: %v", err)
		}
		return s
	}
	byOther := func(ts string) string {
		s, err := SignOpenAPI(other, []byte(body), ts)
		if err != nil {
			t.Fatalf("SignOpenAPI: %v", err)
		}
		return s
	}
	tests := []struct {
		name       string
		ts         time.Time
		recvWindow string
		sign       func(string) string
		verifyBody string
		want       error // nil, ErrSignatureFailed or ErrOutsideWindow
	}{
		{"good", now.Add(-4 * time.Second), "", good, body, nil},
		{"good, same fields reordered and spaced", now, "", good, `{ "size":10, "current":1 }`, nil},
		{"signed with another key", now, "", byOther, body, ErrSignatureFailed},
		{"body changed after signing", now, "", good, `{"current":2,"size":10}`, ErrSignatureFailed},
		{"signature missing", now, "", func(string) string { return "" }, body, ErrSignatureFailed},
		{"signature not base64", now, "", func(string) string { return "not base64!" }, body, ErrSignatureFailed},
		{"signature truncated", now, "", func(ts string) string { return good(ts)[:100] }, body, ErrSignatureFailed},
		{"body not an object", now, "", good, `[1]`, ErrSignatureFailed},
		{"stale beyond default window", now.Add(-5001 * time.Millisecond), "", good, body, ErrOutsideWindow},
		{"at the edge of the default window", now.Add(-5000 * time.Millisecond), "", good, body, nil},
		{"future beyond window", now.Add(6 * time.Second), "", good, body, ErrOutsideWindow},
		{"wider recvWindow accepts", now.Add(-9 * time.Second), "10000", good, body, nil},
		{"narrow recvWindow rejects", now.Add(-2 * time.Second), "1000", good, body, ErrOutsideWindow},
		{"recvWindow above the cap", now, "60001", good, body, ErrOutsideWindow},
		{"recvWindow zero", now, "0", good, body, ErrOutsideWindow},
		{"recvWindow that would overflow a Duration", now, "10000000000000", good, body, ErrOutsideWindow},
		{"recvWindow not a number", now, "5s", good, body, ErrOutsideWindow},
		{"stale and badly signed reports the window", now.Add(-time.Hour), "", byOther, body, ErrOutsideWindow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, body, tc.ts, tc.recvWindow, tc.sign)
			err := VerifyOpenAPI(r, &key.PublicKey, now, []byte(tc.verifyBody))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyOpenAPI: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyOpenAPI = %v, want %v", err, tc.want)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Code != tc.want.(*VerifyError).Code {
				t.Fatalf("error %v does not carry code %s", err, tc.want.(*VerifyError).Code)
			}
		})
	}
	t.Run("timestamp missing", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if err := VerifyOpenAPI(r, &key.PublicKey, now, []byte(body)); !errors.Is(err, ErrOutsideWindow) {
			t.Fatalf("VerifyOpenAPI = %v, want ErrOutsideWindow", err)
		}
	})
	t.Run("no public key", func(t *testing.T) {
		r := signedRequest(t, body, now, "", good)
		if err := VerifyOpenAPI(r, nil, now, []byte(body)); !errors.Is(err, ErrSignatureFailed) {
			t.Fatalf("VerifyOpenAPI = %v, want ErrSignatureFailed", err)
		}
	})
}

// openAPIServer is a loopback stand-in for the vendor gateway: it knows one
// API key and answers with the vendor's codes.
func openAPIServer(t *testing.T, apiKey string, pub *rsa.PublicKey, seen chan<- http.Header) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if seen != nil {
			seen <- r.Header.Clone()
		}
		code := "0"
		switch {
		case r.Header.Get(HeaderAPIKey) != apiKey:
			code = string(CodeUnknownAPIKey)
		default:
			var ve *VerifyError
			if err := VerifyOpenAPI(r, pub, time.Now(), body); errors.As(err, &ve) {
				code = string(ve.Code)
			} else if err != nil {
				code = "unexpected: " + err.Error()
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"code": code})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Ensure OpenAPITransport produces requests a vendor-like gateway accepts,
// leaves the caller's request alone, and that each provokable failure comes
// back with the vendor's code.
func TestOpenAPITransportRoundTrip(t *testing.T) {
	key, other := fixedKey(t), freshKey(t)
	const apiKey = "0123456789abcdef0123456789abcdef"
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)
	tests := []struct {
		name       string
		apiKey     string
		useOther   bool
		recvWindow time.Duration
		timestamp  string // preset on the caller's request
		body       string
		wantCode   string
		wantWindow string
	}{
		{name: "accepted", apiKey: apiKey, body: `{"current":1,"size":10}`, wantCode: "0", wantWindow: "5000"},
		{name: "accepted without body", apiKey: apiKey, wantCode: "0", wantWindow: "5000"},
		{name: "custom recvWindow", apiKey: apiKey, recvWindow: 10 * time.Second, body: `{}`, wantCode: "0", wantWindow: "10000"},
		{name: "bad signature", apiKey: apiKey, useOther: true, body: `{"a":1}`, wantCode: string(CodeSignatureFailed), wantWindow: "5000"},
		{name: "stale timestamp is reused and rejected", apiKey: apiKey, timestamp: stale, body: `{"a":1}`, wantCode: string(CodeOutsideWindow), wantWindow: "5000"},
		{name: "unknown api key", apiKey: "ffffffffffffffffffffffffffffffff", body: `{"a":1}`, wantCode: string(CodeUnknownAPIKey), wantWindow: "5000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := make(chan http.Header, 1)
			srv := openAPIServer(t, apiKey, &key.PublicKey, seen)
			signer := key
			if tc.useOther {
				signer = other
			}
			hc := &http.Client{Transport: &OpenAPITransport{Base: srv.Client().Transport, APIKey: tc.apiKey, Key: signer, RecvWindow: tc.recvWindow}}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/openapi-c/global/customer.app.CustomerApiWebService.page", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("token", "must-not-travel")
			req.Header.Set("companyId", "439")
			if tc.timestamp != "" {
				req.Header.Set(HeaderTimestamp, tc.timestamp)
			}
			before := req.Header.Clone()
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer resp.Body.Close()
			var env struct{ Code string }
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatalf("decode response: %v", err)
			}
			if env.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", env.Code, tc.wantCode)
			}
			h := <-seen
			if got := h.Get(HeaderRecvWindow); got != tc.wantWindow {
				t.Errorf("recvWindow = %q, want %q", got, tc.wantWindow)
			}
			if tc.timestamp != "" && h.Get(HeaderTimestamp) != tc.timestamp {
				t.Errorf("timestamp = %q, want the caller's %q", h.Get(HeaderTimestamp), tc.timestamp)
			}
			if h.Get("token") != "" {
				t.Error("token header reached the Open API")
			}
			if h.Get("companyId") != "439" {
				t.Error("companyId header lost")
			}
			if len(req.Header) != len(before) || req.Header.Get(HeaderSignature) != "" || req.Header.Get("token") == "" {
				t.Errorf("caller's request headers changed: %v", req.Header)
			}
		})
	}
}

// Ensure a request the gateway redirects is signed again on the new hop
// (http.Client replays the body through GetBody and calls RoundTrip again).
func TestOpenAPITransportRedirect(t *testing.T) {
	key := fixedKey(t)
	final := openAPIServer(t, "k1234567", &key.PublicKey, nil)
	hop := httptest.NewServer(http.RedirectHandler(final.URL+"/openapi-c/global/x", http.StatusTemporaryRedirect))
	defer hop.Close()
	hc := &http.Client{Transport: &OpenAPITransport{Base: http.DefaultTransport, APIKey: "k1234567", Key: key}}
	resp, err := hc.Post(hop.URL, "application/json", strings.NewReader(`{"a":"b"}`))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	defer resp.Body.Close()
	var env struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.Code != "0" {
		t.Fatalf("code after redirect = %q, want 0", env.Code)
	}
}

// Ensure misconfiguration and unsignable bodies fail before anything is
// sent, and the caller's body is closed as RoundTripper requires.
func TestOpenAPITransportRejects(t *testing.T) {
	key := fixedKey(t)
	sent := false
	baseRT := roundTripFunc(func(*http.Request) (*http.Response, error) { sent = true; return nil, errors.New("unreachable") })
	tests := []struct {
		name string
		tr   *OpenAPITransport
		body string
		ts   string
	}{
		{"no key", &OpenAPITransport{Base: baseRT, APIKey: "k1234567"}, `{}`, ""},
		{"no api key", &OpenAPITransport{Base: baseRT, Key: key}, `{}`, ""},
		{"negative recvWindow", &OpenAPITransport{Base: baseRT, APIKey: "k1234567", Key: key, RecvWindow: -time.Second}, `{}`, ""},
		{"body is an array", &OpenAPITransport{Base: baseRT, APIKey: "k1234567", Key: key}, `[1,2]`, ""},
		{"caller timestamp not digits", &OpenAPITransport{Base: baseRT, APIKey: "k1234567", Key: key}, `{}`, "yesterday"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent = false
			body := &closeTracker{Reader: strings.NewReader(tc.body)}
			req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/openapi-c/global/x", body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ts != "" {
				req.Header.Set(HeaderTimestamp, tc.ts)
			}
			resp, err := tc.tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("RoundTrip succeeded, want error")
			}
			if sent {
				t.Error("request was sent despite the error")
			}
			if !body.closed {
				t.Error("request body not closed")
			}
		})
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// Ensure one transport signs concurrent requests independently (run with
// -race): every one of them must be accepted.
func TestOpenAPITransportConcurrent(t *testing.T) {
	key := fixedKey(t)
	srv := openAPIServer(t, "k1234567", &key.PublicKey, nil)
	hc := &http.Client{Transport: &OpenAPITransport{Base: srv.Client().Transport, APIKey: "k1234567", Key: key}}
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			resp, err := hc.Post(srv.URL, "application/json", strings.NewReader(`{"i":`+strconv.Itoa(i)+`}`))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var env struct{ Code string }
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				errs <- err
				return
			}
			if env.Code != "0" {
				errs <- errors.New("request " + strconv.Itoa(i) + " got code " + env.Code)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
