package signing

import (
	"crypto/rsa"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// roundTripFunc adapts a function to http.RoundTripper for bases that must
// fail or observe the outgoing request without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// fixedKey is the testdata key (see testdata/README.md).
func fixedKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(readTestdata(t, "test-key.pk8.b64"))
	if err != nil {
		t.Fatalf("parse testdata key: %v", err)
	}
	return k
}

var (
	otherKeyOnce sync.Once
	otherKey     *rsa.PrivateKey
	otherKeyErr  error
)

// freshKey is a second, generated key shared by the tests that need a key
// other than fixedKey; generating one per test would only cost time.
func freshKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	otherKeyOnce.Do(func() { otherKey, otherKeyErr = GenerateKeyPair(1024) })
	if otherKeyErr != nil {
		t.Fatalf("generate key: %v", otherKeyErr)
	}
	return otherKey
}
