package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinKeyBits is the smallest RSA modulus accepted. The vendor issues 1024-bit
// keys; Go refuses to generate anything smaller, and a 100-byte encrypted-mode
// chunk plus 11 bytes of PKCS#1 v1.5 padding needs at least 888 bits anyway.
const MinKeyBits = 1024

// ErrKeyFormat is wrapped by every key-parsing failure. The messages say what
// was wrong with the key's shape and never include any of its bytes.
var ErrKeyFormat = errors.New("unrecognised RSA key")

// ParsePrivateKey reads an RSA private key in the form the vendor hands out
// (the applyApi privateKey / MM_API_SECRET): base64 of a PKCS#8 DER
// structure, typically beginning "MII". It also accepts a PEM block
// ("PRIVATE KEY" for PKCS#8 or "RSA PRIVATE KEY" for PKCS#1), base64 of
// PKCS#1 DER, URL-safe base64, and whitespace or line breaks inside the
// base64, because keys pasted into CI secrets often gain them.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := keyDER(s, "private")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key: PKCS#8 key is %T, not RSA: %w", k, ErrKeyFormat)
		}
		return checkPrivate(rk)
	}
	if rk, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return checkPrivate(rk)
	}
	// The parser errors are dropped on purpose: they are about ASN.1 structure
	// and safe, but a uniform message is clearer than two unrelated ones.
	return nil, fmt.Errorf("private key: %d decoded bytes are neither PKCS#8 nor PKCS#1 DER: %w", len(der), ErrKeyFormat)
}

// ParsePublicKey reads an RSA public key: base64 of X.509
// SubjectPublicKeyInfo DER (the vendor's publicKey / MM_COMPANY_PUBLIC_KEY,
// typically beginning "MIGf" for 1024 bits), base64 of PKCS#1 DER, or a PEM
// block of either kind ("PUBLIC KEY" / "RSA PUBLIC KEY").
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := keyDER(s, "public")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key: key is %T, not RSA: %w", k, ErrKeyFormat)
		}
		return checkPublic(rk)
	}
	if rk, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return checkPublic(rk)
	}
	return nil, fmt.Errorf("public key: %d decoded bytes are neither X.509 SubjectPublicKeyInfo nor PKCS#1 DER: %w", len(der), ErrKeyFormat)
}

// keyDER turns PEM or (possibly wrapped, possibly URL-safe) base64 into DER.
func keyDER(s, kind string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%s key: empty: %w", kind, ErrKeyFormat)
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, fmt.Errorf("%s key: malformed PEM: %w", kind, ErrKeyFormat)
		}
		if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
			return nil, fmt.Errorf("%s key: PEM block %q is passphrase-protected: %w", kind, block.Type, ErrKeyFormat)
		}
		return block.Bytes, nil
	}
	compact := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if der, err := enc.DecodeString(compact); err == nil {
			return der, nil
		}
	}
	return nil, fmt.Errorf("%s key: %d characters that are neither PEM nor base64: %w", kind, len(compact), ErrKeyFormat)
}

func checkPrivate(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if k.N.BitLen() < MinKeyBits {
		return nil, fmt.Errorf("private key: %d-bit modulus is below %d bits: %w", k.N.BitLen(), MinKeyBits, ErrKeyFormat)
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("private key: inconsistent RSA parameters: %w", ErrKeyFormat)
	}
	return k, nil
}

func checkPublic(k *rsa.PublicKey) (*rsa.PublicKey, error) {
	if k.N.BitLen() < MinKeyBits {
		return nil, fmt.Errorf("public key: %d-bit modulus is below %d bits: %w", k.N.BitLen(), MinKeyBits, ErrKeyFormat)
	}
	return k, nil
}

// GenerateKeyPair returns a fresh RSA key of the given size, for tests and
// for the simulator's own key pairs. Use 1024 to mirror the vendor's keys.
func GenerateKeyPair(bits int) (*rsa.PrivateKey, error) {
	if bits < MinKeyBits {
		return nil, fmt.Errorf("generate RSA key: %d bits is below the %d-bit minimum", bits, MinKeyBits)
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate %d-bit RSA key: %w", bits, err)
	}
	return k, nil
}

// EncodePrivateKey returns the key in the vendor's format: standard base64 of
// PKCS#8 DER, on one line.
func EncodePrivateKey(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("encode private key as PKCS#8: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// EncodePrivateKeyPEM returns the key as a PKCS#8 "PRIVATE KEY" PEM block,
// the form `openssl` reads.
func EncodePrivateKeyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode private key as PKCS#8: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey returns the public key in the vendor's format: standard
// base64 of X.509 SubjectPublicKeyInfo DER, on one line.
func EncodePublicKey(k *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// EncodePublicKeyPEM returns the public key as a "PUBLIC KEY" PEM block.
func EncodePublicKeyPEM(k *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
