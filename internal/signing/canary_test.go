package signing

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

const (
	canaryAPIKey = "CANARY0APIKEY0a7c3e9d1b5f4e2c8a6"
	canaryPII    = "canary.customer@example.invalid"
)

// secretsOf lists every literal that must never appear in output for a
// request signed with key: the api key, the key in vendor and PEM lines, the
// signature and the string to sign.
func secretsOf(t *testing.T, tr *OpenAPITransport, sig, sts string) []string {
	t.Helper()
	out := append([]string{sig, sts}, tr.Secrets()...)
	pemKey, err := EncodePrivateKeyPEM(tr.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(pemKey), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

func assertClean(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s leaks a secret (%d chars starting %.6q): %s", where, len(s), s, text)
		}
	}
}

// verboseError is the worst case of a wrapped transport: its error prints
// every request header, and it says it timed out.
type verboseError struct{ h http.Header }

func (e verboseError) Error() string {
	return fmt.Sprintf("proxy refused request with headers %v", e.h)
}
func (e verboseError) Timeout() bool   { return true }
func (e verboseError) Temporary() bool { return true }

var _ net.Error = verboseError{}

// Ensure a planted canary API key, private key and every signature never
// reach an error string when the request fails below the transport: our
// own errors never include them, and errors from a base transport that
// echoes headers are scrubbed through the Redactor (keeping errors.As and
// the timeout signal).
func TestCanaryOpenAPIErrorsCarryNoSecrets(t *testing.T) {
	body := `{"email":"` + canaryPII + `","current":1}`
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there now: a real dial failure

	tests := []struct {
		name     string
		redactor bool
		url      string
		base     func(sig *string, sts *string) http.RoundTripper
	}{
		{"plain base failure, no redactor", false, "http://127.0.0.1:9/openapi-c/global/x", func(sig, sts *string) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				capture(t, r, sig, sts)
				return nil, errors.New("connection reset by peer")
			})
		}},
		{"real dial failure, no redactor", false, deadURL + "/openapi-c/global/x", func(sig, sts *string) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				capture(t, r, sig, sts)
				return http.DefaultTransport.RoundTrip(r)
			})
		}},
		{"base echoes headers, redactor scrubs", true, "http://127.0.0.1:9/openapi-c/global/x", func(sig, sts *string) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				capture(t, r, sig, sts)
				return nil, verboseError{r.Header.Clone()}
			})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sig, sts string
			tr := &OpenAPITransport{APIKey: canaryAPIKey, Key: freshKey(t), Base: tc.base(&sig, &sts)}
			if tc.redactor {
				tr.Redactor = redact.New(redact.DefaultConfig())
				tr.Redactor.Learn(tr.Secrets()...)
			}
			hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			req, err := http.NewRequest(http.MethodPost, tc.url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = hc.Do(req)
			if err == nil {
				t.Fatal("request succeeded; the test needs a failure")
			}
			if sig == "" || sts == "" {
				t.Fatal("base never saw a signed request")
			}
			secrets := secretsOf(t, tr, sig, sts)
			assertClean(t, "error", err.Error(), secrets)
			assertClean(t, "error %+v", fmt.Sprintf("%+v", err), secrets)
			if tc.redactor {
				var ve verboseError
				if !errors.As(err, &ve) {
					t.Error("scrubbing lost the error chain")
				}
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Error("scrubbing lost the timeout signal")
				}
				if !strings.Contains(err.Error(), "[redacted]") {
					t.Errorf("expected the echoed headers to be masked: %v", err)
				}
				// Anything else that prints these values through the
				// redactor (a log line, a report) is clean too.
				line := tr.Redactor.Text(fmt.Sprintf("sent apiKey=%s signature=%s key=%s", canaryAPIKey, sig, tr.Secrets()[1]))
				assertClean(t, "redacted log line", line, secrets)
			}
		})
	}
}

// capture records the signature the transport sent and recomputes the
// string to sign from the request, so the test knows what must not leak.
func capture(t *testing.T, r *http.Request, sig, sts *string) {
	t.Helper()
	*sig = r.Header.Get(HeaderSignature)
	rc, err := r.GetBody() // leave r.Body for the real transport
	if err != nil {
		t.Errorf("GetBody: %v", err)
		return
	}
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Errorf("read body: %v", err)
		return
	}
	s, err := StringToSign(body, r.Header.Get(HeaderTimestamp))
	if err != nil {
		t.Errorf("StringToSign: %v", err)
		return
	}
	*sts = s
}

// Ensure an unsignable body carrying PII and a misconfigured transport fail
// without quoting the body or the key.
func TestCanaryOpenAPIBodyErrors(t *testing.T) {
	tr := &OpenAPITransport{APIKey: canaryAPIKey, Key: freshKey(t),
		Base: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("unreachable") })}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9/openapi-c/global/x", strings.NewReader(`{"email":"`+canaryPII+`",`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: tr}).Do(req)
	if !errors.Is(err, ErrBody) {
		t.Fatalf("Do = %v, want ErrBody", err)
	}
	assertClean(t, "body error", err.Error(), append([]string{canaryPII}, tr.Secrets()...))
}

// Ensure the encrypted transport's signature and plaintext stay out of
// errors, with the same scrubbing of a verbose base.
func TestCanaryEncryptedErrorsCarryNoSecrets(t *testing.T) {
	key := fixedKey(t)
	var sentSig string
	r := redact.New(redact.DefaultConfig())
	tr := &EncryptedTransport{Pub: &key.PublicKey, Redactor: r, Base: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body, err := readBody(req)
		if err != nil {
			return nil, err
		}
		plain, err := OpenClientRequest(req.Header, body, key)
		if err != nil {
			return nil, err
		}
		if i := strings.Index(string(plain), `"signature":"`); i >= 0 {
			sentSig = string(plain[i+13 : i+45])
		}
		return nil, fmt.Errorf("upstream rejected %s", plain)
	})}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9/api/global/x", strings.NewReader(`{"note":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		t.Fatal("request succeeded; the test needs a failure")
	}
	if len(sentSig) != 32 {
		t.Fatalf("did not capture the signature (%q)", sentSig)
	}
	assertClean(t, "error", err.Error(), []string{sentSig})
}
