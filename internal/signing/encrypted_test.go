package signing

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Ensure the encrypted-mode signature reproduces the vendor's two MD5
// vectors, from the business body and the timestamp header.
func TestClientSignatureVectors(t *testing.T) {
	tests := []struct {
		name, body, ts, wantString, wantSig string
	}{
		{"java demo", `{"parentCode":"USDT"}`, "1722093946335",
			"timestamp=1722093946335&parentCode=USDT&timestamp=1722093946335", "5EF9837436D52991C79B7C0C4B007DAE"},
		{"docs", `{"c":3,"a":1,"b":2}`, "11111131331",
			"timestamp=11111131331&a=1&b=2&c=3&timestamp=11111131331", "43FFFF236AC1FE30AF4ED37A1CFF7C9D"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ClientSignString([]byte(tc.body), tc.ts)
			if err != nil {
				t.Fatalf("ClientSignString: %v", err)
			}
			if s != tc.wantString {
				t.Errorf("sign string\n got %s\nwant %s", s, tc.wantString)
			}
			if got := ClientSignature(tc.wantString); got != tc.wantSig {
				t.Errorf("ClientSignature(vector) = %s, want %s", got, tc.wantSig)
			}
			_, sig, err := SignClientBody([]byte(tc.body), tc.ts)
			if err != nil {
				t.Fatalf("SignClientBody: %v", err)
			}
			if sig != tc.wantSig {
				t.Errorf("SignClientBody signature = %s, want %s", sig, tc.wantSig)
			}
		})
	}
}

// Ensure only non-empty string and number fields take part, in Java order,
// with any body timestamp or signature replaced.
func TestClientSignStringFields(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"skips booleans, nulls, objects, arrays, empty strings",
			`{"b":true,"n":null,"o":{"x":1},"l":[1],"e":"","s":"v","z":0}`, "timestamp=9&s=v&timestamp=9&z=0"},
		{"java order: upper case before lower", `{"a":"1","B":"2","_":"3"}`, "timestamp=9&B=2&_=3&a=1&timestamp=9"},
		{"values unescaped and verbatim", `{"s":"a\"b&c=d 中","p":1.50}`, "timestamp=9&p=1.50&s=a\"b&c=d 中&timestamp=9"},
		{"existing signature excluded", `{"signature":"X","k":"v"}`, "timestamp=9&k=v&timestamp=9"},
		{"body timestamp replaced by the header's", `{"timestamp":1,"k":"v"}`, "timestamp=9&k=v&timestamp=9"},
		{"empty body", ``, "timestamp=9&timestamp=9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClientSignString([]byte(tc.body), "9")
			if err != nil {
				t.Fatalf("ClientSignString: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Ensure URL encoding matches java.net.URLEncoder.encode(s, "UTF-8")
// byte for byte, since chunk boundaries depend on it.
func TestJavaURLEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"b c*~'()!中"}`, "%7B%22a%22%3A%22b+c*%7E%27%28%29%21%E4%B8%AD%22%7D"},
		{"AZaz09.-_*", "AZaz09.-_*"},
		{"/?#&=+%", "%2F%3F%23%26%3D%2B%25"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := javaURLEncode([]byte(tc.in)); got != tc.want {
			t.Errorf("javaURLEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Ensure encrypt then decrypt returns the signed plaintext for bodies of one
// and of many chunks, and the signature inside verifies.
func TestEncryptDecryptClientBody(t *testing.T) {
	key := fixedKey(t)
	long := strings.Repeat("中文 & spaces + symbols ", 40)
	tests := []struct{ name, body string }{
		{"small", `{"parentCode":"USDT"}`},
		{"empty", ``},
		{"multi-chunk with non-ascii", `{"remark":"` + long + `","amount":"12.50","accountId":123,"list":[1,2]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, sig, err := SignClientBody([]byte(tc.body), "1722093946335")
			if err != nil {
				t.Fatalf("SignClientBody: %v", err)
			}
			data, err := EncryptClientBody(plain, &key.PublicKey)
			if err != nil {
				t.Fatalf("EncryptClientBody: %v", err)
			}
			wantChunks := (len(javaURLEncode(plain)) + ChunkChars - 1) / ChunkChars
			if got := strings.Count(data, ",") + 1; got != wantChunks {
				t.Errorf("%d chunks, want %d", got, wantChunks)
			}
			wire, _ := json.Marshal(map[string]string{"data": data})
			got, err := DecryptClientBody(wire, key)
			if err != nil {
				t.Fatalf("DecryptClientBody: %v", err)
			}
			if string(got) != string(plain) {
				t.Fatalf("round trip changed the body\n got %s\nwant %s", got, plain)
			}
			if err := VerifyClientSignature(got, "1722093946335"); err != nil {
				t.Fatalf("VerifyClientSignature: %v", err)
			}
			if !strings.Contains(string(got), `"signature":"`+sig+`"`) || !strings.Contains(string(got), `"timestamp":1722093946335`) {
				t.Errorf("plaintext lacks numeric timestamp or signature: %s", got)
			}
		})
	}
}

// Ensure decryption failures are reported without echoing any content.
func TestDecryptClientBodyRejects(t *testing.T) {
	key, other := fixedKey(t), freshKey(t)
	plain, _, err := SignClientBody([]byte(`{"a":"CANARY-PLAIN"}`), "1")
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncryptClientBody(plain, &other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, body string }{
		{"wrong key", `{"data":"` + data + `"}`},
		{"not json", `CANARY-PLAIN`},
		{"no data", `{"other":"CANARY-PLAIN"}`},
		{"empty data", `{"data":""}`},
		{"not base64", `{"data":"CANARY-PLAIN!!"}`},
		{"plain body sent to an encrypted endpoint", `{"a":"CANARY-PLAIN"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecryptClientBody([]byte(tc.body), key)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("DecryptClientBody = %v, want ErrDecrypt", err)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error echoes content: %v", err)
			}
		})
	}
}

// Ensure the server-side signature check rejects tampering.
func TestVerifyClientSignatureRejects(t *testing.T) {
	plain, sig, err := SignClientBody([]byte(`{"parentCode":"USDT","n":5}`), "1722093946335")
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(from, to string) string { return strings.Replace(string(plain), from, to, 1) }
	tests := []struct{ name, plain, headerTS string }{
		{"value changed", tamper(`"USDT"`, `"USDC"`), "1722093946335"},
		{"field added", tamper(`{`, `{"extra":"1",`), "1722093946335"},
		{"lower-case signature", tamper(sig, strings.ToLower(sig)), "1722093946335"},
		{"signature removed", tamper(`"signature":"`+sig+`",`, ``), "1722093946335"},
		{"header timestamp differs", string(plain), "1722093946336"},
		{"body timestamp changed to match a new header", tamper("1722093946335", "1722093946336"), "1722093946336"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.plain == string(plain) && tc.name != "header timestamp differs" {
				t.Fatal("tamper did not change the body")
			}
			if err := VerifyClientSignature([]byte(tc.plain), tc.headerTS); !errors.Is(err, ErrClientSignature) {
				t.Fatalf("VerifyClientSignature = %v, want ErrClientSignature", err)
			}
		})
	}
	if err := VerifyClientSignature(plain, ""); err != nil {
		t.Errorf("untampered body with no header timestamp: %v", err)
	}
}

var generatedTrace = regexp.MustCompile(`^x-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-1722093946335$`)

// Ensure a request through EncryptedTransport reaches a loopback server as
// {"data":...} with an x- trace and a timestamp header equal to the one
// signed in the body, and that the server decrypts and verifies it with
// OpenClientRequest; the caller's request is left as it was.
func TestEncryptedTransportRoundTrip(t *testing.T) {
	key := fixedKey(t)
	type seen struct {
		trace, ts, contentType string
		plain                  map[string]any
		raw                    string
		err                    error
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := seen{trace: r.Header.Get(HeaderTrace), ts: r.Header.Get(HeaderTimestamp), contentType: r.Header.Get("Content-Type"), raw: string(body)}
		if !IsEncrypted(r.Header) {
			s.err = errors.New("trace does not declare encryption")
		} else if plain, err := OpenClientRequest(r.Header, body, key); err != nil {
			s.err = err
		} else {
			s.err = json.Unmarshal(plain, &s.plain)
		}
		got <- s
		_, _ = io.WriteString(w, `{"code":"0","ok":true}`)
	}))
	defer srv.Close()

	fixed := time.UnixMilli(1722093946335)
	tests := []struct {
		name, trace, ts, wantTrace, wantTS string
	}{
		{"trace prefixed, clock timestamp", "abc-1", "", "x-abc-1", "1722093946335"},
		{"already prefixed trace kept", "x-abc-2", "", "x-abc-2", "1722093946335"},
		{"caller timestamp reused", "abc-3", "1111", "x-abc-3", "1111"},
		{"trace generated when absent", "", "", "", "1722093946335"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hc := &http.Client{Transport: &EncryptedTransport{Base: srv.Client().Transport, Pub: &key.PublicKey, Now: func() time.Time { return fixed }}}
			body := `{"parentCode":"USDT","current":1,"flag":true,"note":"` + strings.Repeat("é", 80) + `"}`
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/global/config.app.X.y", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.trace != "" {
				req.Header.Set(HeaderTrace, tc.trace)
			}
			if tc.ts != "" {
				req.Header.Set(HeaderTimestamp, tc.ts)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			resp.Body.Close()
			s := <-got
			if s.err != nil {
				t.Fatalf("server could not open the request: %v", s.err)
			}
			if tc.wantTrace != "" && s.trace != tc.wantTrace {
				t.Errorf("trace = %q, want %q", s.trace, tc.wantTrace)
			}
			if tc.trace == "" && !generatedTrace.MatchString(s.trace) {
				t.Errorf("generated trace %q lacks the H5 client's shape", s.trace)
			}
			if !strings.HasPrefix(s.trace, TracePrefix) || len(s.trace) <= len(TracePrefix) {
				t.Errorf("trace %q is not an x- trace", s.trace)
			}
			if s.ts != tc.wantTS {
				t.Errorf("timestamp header = %q, want %q", s.ts, tc.wantTS)
			}
			if s.contentType != "application/json" {
				t.Errorf("Content-Type = %q", s.contentType)
			}
			if strings.Contains(s.raw, "USDT") || !strings.HasPrefix(s.raw, `{"data":"`) {
				t.Errorf("wire body is not an encrypted {data} object: %.60s", s.raw)
			}
			if s.plain["parentCode"] != "USDT" || s.plain["flag"] != true || s.plain["current"] != float64(1) {
				t.Errorf("business fields lost: %v", s.plain)
			}
			if req.Header.Get(HeaderTrace) != tc.trace || req.Header.Get(HeaderTimestamp) != tc.ts {
				t.Errorf("caller's headers changed: %v", req.Header)
			}
		})
	}
}

// Ensure keys too small for a 100-byte chunk and a missing key are refused.
func TestEncryptClientBodyRejects(t *testing.T) {
	if _, err := EncryptClientBody([]byte(`{}`), nil); err == nil {
		t.Error("nil key accepted")
	}
	small := fixedKey(t).PublicKey
	small.N = small.N.Rsh(small.N, 400) // 624 bits: 78-byte modulus
	if _, err := EncryptClientBody([]byte(`{}`), &small); err == nil {
		t.Error("624-bit key accepted for 100-byte chunks")
	}
	tr := &EncryptedTransport{Base: roundTripFunc(func(*http.Request) (*http.Response, error) { t.Fatal("sent"); return nil, nil })}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/api", strings.NewReader(`{}`))
	if _, err := tr.RoundTrip(req); err == nil {
		t.Error("transport without a public key sent a request")
	}
}
