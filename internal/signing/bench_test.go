package signing

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

const benchBody = `{"customerNo":"86001308","accountId":123456,"tradeType":1,"symbolId":1798,"direction":1,` +
	`"requestPrice":"167655","requestNum":"0.01","stopLoss":null,"takeProfit":null,"remark":"contract probe"}`

func okTransport() http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			_ = r.Body.Close()
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
}

func benchRoundTrip(b *testing.B, rt http.RoundTripper) {
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/x", strings.NewReader(benchBody))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set(HeaderTrace, "bench")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
}

// BenchmarkOpenAPIRoundTrip measures signing one typical order request with
// a 1024-bit key (the vendor's size), transport overhead included.
func BenchmarkOpenAPIRoundTrip(b *testing.B) {
	benchRoundTrip(b, &OpenAPITransport{Base: okTransport(), APIKey: "k1234567", Key: fixedKey(b)})
}

// BenchmarkEncryptedRoundTrip measures MD5-signing, URL-encoding and
// encrypting the same body (4 chunks) with a 1024-bit company key.
func BenchmarkEncryptedRoundTrip(b *testing.B) {
	benchRoundTrip(b, &EncryptedTransport{Base: okTransport(), Pub: &fixedKey(b).PublicKey})
}

// BenchmarkStringToSign isolates the canonicalisation from the RSA cost.
func BenchmarkStringToSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := StringToSign([]byte(benchBody), "1650361143685"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptClientBody measures the simulator's side of the same body.
func BenchmarkDecryptClientBody(b *testing.B) {
	key := fixedKey(b)
	plain, _, err := SignClientBody([]byte(benchBody), "1650361143685")
	if err != nil {
		b.Fatal(err)
	}
	data, err := EncryptClientBody(plain, &key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	wire := []byte(`{"data":"` + data + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptClientBody(wire, key); err != nil {
			b.Fatal(err)
		}
	}
}
