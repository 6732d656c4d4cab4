package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

// Ensure every form a secret key arrives in parses to the same key.
func TestParsePrivateKeyForms(t *testing.T) {
	key := fixedKey(t)
	vendor, err := EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(vendor, "MII") {
		t.Errorf("vendor form %q... does not begin MII", vendor[:4])
	}
	pkcs8PEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1DER := x509.MarshalPKCS1PrivateKey(key)
	var b strings.Builder
	for i := 0; i < len(vendor); i += 64 {
		b.WriteString(vendor[i:min(i+64, len(vendor))])
		b.WriteString("\r\n")
	}
	wrapped := b.String()
	forms := []struct{ name, in string }{
		{"vendor base64 PKCS#8", vendor},
		{"testdata file as written by openssl", readTestdata(t, "test-key.pk8.b64")},
		{"PKCS#8 PEM", string(pkcs8PEM)},
		{"PKCS#1 PEM", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1DER}))},
		{"PKCS#1 base64", base64.StdEncoding.EncodeToString(pkcs1DER)},
		{"wrapped with CRLF and padding spaces", "  " + wrapped + "  "},
		{"unpadded url-safe base64", base64.RawURLEncoding.EncodeToString(mustPKCS8(t, key))},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			got, err := ParsePrivateKey(f.in)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(key) {
				t.Error("parsed a different key")
			}
		})
	}
}

func mustPKCS8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// Ensure unusable keys are refused with ErrKeyFormat and that no error
// message contains any part of what it was given.
func TestParseKeyRejects(t *testing.T) {
	vendor, err := EncodePrivateKey(fixedKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	privs := []struct{ name, in string }{
		{"empty", "   "},
		{"not base64", "MIIC-this is not a key!"},
		{"truncated", vendor[:len(vendor)/2]},
		{"public key given as private", mustEncodePub(t)},
		{"EC key", base64.StdEncoding.EncodeToString(mustPKCS8(t, ec))},
		{"bad PEM", "-----BEGIN PRIVATE KEY-----\n" + vendor[:40] + "\n"},
		{"encrypted PEM", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + vendor + "\n-----END ENCRYPTED PRIVATE KEY-----\n"},
	}
	for _, p := range privs {
		t.Run("private/"+p.name, func(t *testing.T) {
			_, err := ParsePrivateKey(p.in)
			if !errors.Is(err, ErrKeyFormat) {
				t.Fatalf("ParsePrivateKey = %v, want ErrKeyFormat", err)
			}
			assertNoKeyMaterial(t, err, p.in)
		})
	}
	pubs := []struct{ name, in string }{
		{"empty", ""},
		{"EC public key", base64.StdEncoding.EncodeToString(ecPub)},
		{"private key given as public", vendor},
		{"garbage", "%%%"},
	}
	for _, p := range pubs {
		t.Run("public/"+p.name, func(t *testing.T) {
			_, err := ParsePublicKey(p.in)
			if !errors.Is(err, ErrKeyFormat) {
				t.Fatalf("ParsePublicKey = %v, want ErrKeyFormat", err)
			}
			assertNoKeyMaterial(t, err, p.in)
		})
	}
}

func mustEncodePub(t *testing.T) string {
	t.Helper()
	s, err := EncodePublicKey(&fixedKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertNoKeyMaterial fails if err's text contains any 8-character run of
// the input's key material (PEM armour lines are labels, not material).
func assertNoKeyMaterial(t *testing.T, err error, in string) {
	t.Helper()
	msg := err.Error()
	var material strings.Builder
	for _, line := range strings.Split(in, "\n") {
		if !strings.HasPrefix(line, "-----") {
			material.WriteString(line)
		}
	}
	in = material.String()
	for i := 0; i+8 <= len(in); i++ {
		if strings.Contains(msg, in[i:i+8]) {
			t.Fatalf("error %q contains input material %q", msg, in[i:i+8])
		}
	}
}

// Ensure the vendor public-key form round-trips and begins as the vendor's
// 1024-bit keys do, and that undersized generation is refused.
func TestPublicKeyAndGenerate(t *testing.T) {
	key := fixedKey(t)
	s := mustEncodePub(t)
	if !strings.HasPrefix(s, "MIGf") {
		t.Errorf("1024-bit public key encodes as %q..., want MIGf...", s[:4])
	}
	for _, in := range []string{s, string(must(EncodePublicKeyPEM(&key.PublicKey))),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))} {
		got, err := ParsePublicKey(in)
		if err != nil {
			t.Fatalf("ParsePublicKey: %v", err)
		}
		if !got.Equal(&key.PublicKey) {
			t.Fatal("parsed a different public key")
		}
	}
	if _, err := GenerateKeyPair(512); err == nil {
		t.Error("GenerateKeyPair(512) succeeded")
	}
	if k := freshKey(t); k.N.BitLen() != 1024 {
		t.Errorf("GenerateKeyPair(1024) gave %d bits", k.N.BitLen())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
