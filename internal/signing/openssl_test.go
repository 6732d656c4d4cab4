package signing

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// opensslCLI returns the openssl binary or skips: it is an independent
// implementation of SHA1withRSA to check ours against, not a dependency.
func opensslCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl CLI not on PATH; the cross-implementation check needs it")
	}
	return path
}

func runOpenSSL(t *testing.T, bin string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Ensure a signature made by Go verifies with `openssl dgst -sha1 -verify`
// over the same string to sign, for a Go-generated key and for a key
// openssl generated and we read in the vendor's base64 PKCS#8 form; and
// that openssl rejects it for a changed string, so the check can fail.
func TestOpenSSLVerifiesGoSignature(t *testing.T) {
	bin := opensslCLI(t)
	dir := t.TempDir()
	keys := []struct {
		name string
		pem  func() []byte
	}{
		{"go-generated", func() []byte {
			p, err := EncodePrivateKeyPEM(freshKey(t))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"openssl-generated", func() []byte {
			p := filepath.Join(dir, "gen.pem")
			if out, err := runOpenSSL(t, bin, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", p); err != nil {
				t.Fatalf("openssl genpkey: %v\n%s", err, out)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	body := []byte(`{"lang":"zh-CN","customerNo":"86001308","companyId":1,"page":{"size":10,"current":1}}`)
	const ts = "1650361143685"
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			keyPEM := k.pem()
			// Read the key the way MM_API_SECRET arrives: PEM body, one line.
			var vendor strings.Builder
			for _, line := range strings.Split(string(keyPEM), "\n") {
				if !strings.HasPrefix(line, "-----") {
					vendor.WriteString(strings.TrimSpace(line))
				}
			}
			key, err := ParsePrivateKey(vendor.String())
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			pubPEM, err := EncodePublicKeyPEM(&key.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := SignOpenAPI(key, body, ts)
			if err != nil {
				t.Fatalf("SignOpenAPI: %v", err)
			}
			raw, err := base64.StdEncoding.DecodeString(sig)
			if err != nil {
				t.Fatalf("signature is not base64: %v", err)
			}
			sts, err := StringToSign(body, ts)
			if err != nil {
				t.Fatal(err)
			}
			sub := t.TempDir()
			pubPath := writeFile(t, sub, "pub.pem", pubPEM)
			sigPath := writeFile(t, sub, "sig.bin", raw)
			dataPath := writeFile(t, sub, "data.txt", []byte(sts))
			out, err := runOpenSSL(t, bin, "dgst", "-sha1", "-verify", pubPath, "-signature", sigPath, dataPath)
			if err != nil || !strings.Contains(string(out), "Verified OK") {
				t.Fatalf("openssl rejected Go's signature: %v\n%s", err, out)
			}
			tampered := writeFile(t, sub, "tampered.txt", []byte(sts+"0"))
			if out, err := runOpenSSL(t, bin, "dgst", "-sha1", "-verify", pubPath, "-signature", sigPath, tampered); err == nil {
				t.Fatalf("openssl accepted the signature for a different string:\n%s", out)
			}
		})
	}
}

// Ensure a signature made by `openssl dgst -sha1 -sign` over our string to
// sign verifies in Go, with the public key read back from openssl's PEM, and
// that Go rejects it for another body.
func TestGoVerifiesOpenSSLSignature(t *testing.T) {
	bin := opensslCLI(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "key.pem")
	if out, err := runOpenSSL(t, bin, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", keyPath); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	pubPath := filepath.Join(dir, "pub.pem")
	if out, err := runOpenSSL(t, bin, "pkey", "-in", keyPath, "-pubout", "-out", pubPath); err != nil {
		t.Fatalf("openssl pkey -pubout: %v\n%s", err, out)
	}
	pubPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(string(pubPEM))
	if err != nil {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	tests := []struct{ name, body string }{
		{"docs vector", `{"companyId":1,"lang":"zh-CN","customerNo":"86001308"}`},
		{"nested and unicode", `{"list":[{"b":null,"a":"中文 \"q\""}],"n":1.50}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const ts = "1722093946335"
			sts, err := StringToSign([]byte(tc.body), ts)
			if err != nil {
				t.Fatal(err)
			}
			sub := t.TempDir()
			dataPath := writeFile(t, sub, "data.txt", []byte(sts))
			sigPath := filepath.Join(sub, "sig.bin")
			if out, err := runOpenSSL(t, bin, "dgst", "-sha1", "-sign", keyPath, "-out", sigPath, dataPath); err != nil {
				t.Fatalf("openssl dgst -sign: %v\n%s", err, out)
			}
			raw, err := os.ReadFile(sigPath)
			if err != nil {
				t.Fatal(err)
			}
			sig := base64.StdEncoding.EncodeToString(raw)
			if err := VerifyOpenAPISignature(pub, []byte(tc.body), ts, sig); err != nil {
				t.Fatalf("Go rejected openssl's signature: %v", err)
			}
			if err := VerifyOpenAPISignature(pub, []byte(`{"other":1}`), ts, sig); err == nil {
				t.Fatal("Go accepted openssl's signature for another body")
			}
		})
	}
}
