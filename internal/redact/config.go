package redact

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Config names the sensitive keys. Matching is case-insensitive and applies
// to JSON object keys at any depth and to HTTP header names.
//
// An entry is either an exact key ("email") or a suffix pattern written with
// one leading '*' ("*email" matches "email", "customEmail" and
// "verifyCodeEmail"). Suffix patterns are used only where every vendor field
// with that ending is sensitive; see DefaultConfig.
//
// A config can add keys but never drop one silently: New always adds the
// DefaultConfig keys back, whatever SecretKeys and PIIKeys say, so a config
// that forgets a key stays safe. To stop masking a key, name it in
// AllowKeys. Validate reports a default key that was dropped from the lists
// without being allowed, so a user who deleted a line learns it had no effect.
type Config struct {
	// SecretKeys are credentials: tokens, passwords and their hashes, keys,
	// signatures, one-time codes. nil means the default list.
	SecretKeys []string `yaml:"secretKeys" json:"secretKeys"`
	// PIIKeys are customer personal data. nil means the default list.
	PIIKeys []string `yaml:"piiKeys" json:"piiKeys"`
	// ExtraSecretKeys and ExtraPIIKeys add to the lists without restating
	// them; this is what a config file normally uses.
	ExtraSecretKeys []string `yaml:"extraSecretKeys" json:"extraSecretKeys"`
	ExtraPIIKeys    []string `yaml:"extraPIIKeys" json:"extraPIIKeys"`
	// AllowKeys are never masked. An exact key here overrides any pattern
	// ("shareToken" despite "*token"); an entry equal to a pattern ("*email")
	// removes that pattern. It is the only way to unmask a default key.
	AllowKeys []string `yaml:"allowKeys" json:"allowKeys"`
}

// Default key lists. Exact names come from the vendor's OpenAPI documents
// (client, business, auth2 and webhook specs and their history); the
// patterns catch the many spellings the vendor derives from them
// (smsSendToken, emailSendToken, verifyCodeToken, fundPwd, stpPassword,
// userPhone, reservePhone, bitcoinAddress, tronAddress, refundToAddr, ...).
var (
	defaultSecretKeys = []string{
		// Session and OAuth tokens. "*token" covers sendToken, smsSendToken,
		// checkToken, validToken, idToken, lockToken, verifyCodeToken, ...
		"token", "rToken", "accessToken", "refreshToken", "sendToken", "*token", "oauth_token_secret",
		"sendTokenNew", "sendTokenOld", "sendTokenSMS", "sendTokenEmail", "sendToken6",
		// Passwords; the caller Learns their MD5 (see LearnPassword).
		"password", "pwd", "loginPwd", "newPwd", "oldPwd", "fundPwd", "*password", "*pwd",
		// API credentials and signatures. apiKey is secret in both the header
		// and the body: with the signature it identifies an Open API caller,
		// and the vendor never needs it to be readable in a report.
		"apiKey", "x-api-key", "*apikey", "signature", "*signature", "sign", "signParam",
		"x-mmcontract-signature", "appSecret", "secret", "*secret", "privateKey", "secretKey",
		"secretKeyMd5", "authorization", "proxy-authorization", "cookie", "set-cookie",
		// One-time codes.
		"googleCode", "verifyCode", "smsCode", "emailCode", "phoneCode", "smsVerifyCode",
		"checkVerifyCode", "verifyCodeEmail", "verifyCodeSMS", "verifyCodeOld", "verifyCodeNew",
		"securityCode", "activationCode", "captcha", "newWatsAppCode", "oldWatsAppCode",
		// Uploaded key material.
		"keyFile1Value", "keyFile2Value",
	}
	defaultPIIKeys = []string{
		// Contact details.
		"email", "*email", "phone", "*phone", "mobile", "*mobile", "toUser", "whatsApp",
		"watsAppAccount", "tgUserName", "screen_name",
		// Names and identity. "name" masks product and group names too where
		// the vendor reuses the key; safe beats readable.
		"name", "firstName", "lastName", "*firstname", "*lastname", "embossedName", "accountName",
		"bankAccountName", "loginName", "userName", "*username", "displayName", "idCard", "*idcard",
		"idNumber", "passport", "birthday", "thirdUserId", "thirdIntactMsg", "thirdAccount",
		"thirdAccountNo", "tgUserId", "stpAccount", "cardFirstNameLastNameCustomerNo",
		// Addresses. City and province are masked with the street because
		// together with a postal code they locate a person; country is not.
		"address", "*address", "addr", "*addr", "street", "city", "mailingCity", "province",
		"mailingProvince", "postalCode", "zipCode",
		// Bank cards and accounts.
		"bankCard", "bankCardNo", "bankCardNumber", "cardNo", "*cardno", "cardNumber", "*cardnumber",
		"bankAccount", "accountNo", "iban", "thirdPartyAccountNumber", "thirdPartyCardAccountId",
		// Wallets: addresses are covered by "*address"; the recharge QR code
		// encodes one.
		"walletAddress", "chainAddress", "walletAccount", "qrcode",
		// Network identity.
		"ip", "request_ip", "whiteIps", "x-forwarded-for", "x-real-ip",
	}
	// defaultAllowKeys are vendor fields that a default pattern would catch
	// but that carry no secret: shareToken is a fund share count.
	defaultAllowKeys = []string{"shareToken"}
)

// DefaultConfig is safe: it covers the vendor's secret and PII fields.
func DefaultConfig() Config {
	return Config{
		SecretKeys: append([]string(nil), defaultSecretKeys...),
		PIIKeys:    append([]string(nil), defaultPIIKeys...),
		AllowKeys:  append([]string(nil), defaultAllowKeys...),
	}
}

// LoadConfig decodes a YAML (or JSON) redaction config strictly: unknown
// fields are an error. Lists the document leaves out keep their defaults,
// so a file with only extraPIIKeys extends the default. The result is
// validated.
func LoadConfig(r io.Reader) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlError(err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// LoadFile reads a redaction config file with LoadConfig; errors name the
// file. An empty path is the default config.
func LoadFile(path string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err // names the file: "open FILE: no such file or directory"
	}
	defer f.Close()
	cfg, err := LoadConfig(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Merge returns c with o layered on top: o's non-nil lists replace c's, and
// the Extra and Allow lists accumulate.
func (c Config) Merge(o Config) Config {
	out := Config{
		SecretKeys:      c.SecretKeys,
		PIIKeys:         c.PIIKeys,
		ExtraSecretKeys: append(append([]string(nil), c.ExtraSecretKeys...), o.ExtraSecretKeys...),
		ExtraPIIKeys:    append(append([]string(nil), c.ExtraPIIKeys...), o.ExtraPIIKeys...),
		AllowKeys:       append(append([]string(nil), c.AllowKeys...), o.AllowKeys...),
	}
	if o.SecretKeys != nil {
		out.SecretKeys = o.SecretKeys
	}
	if o.PIIKeys != nil {
		out.PIIKeys = o.PIIKeys
	}
	return out
}

// Validate reports empty or malformed key names, and default keys removed
// from the lists without being named in AllowKeys.
func (c Config) Validate() error {
	var errs []error
	check := func(field string, keys []string) {
		for i, k := range keys {
			if err := checkKey(k); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", field, i, err))
			}
		}
	}
	check("secretKeys", c.SecretKeys)
	check("piiKeys", c.PIIKeys)
	check("extraSecretKeys", c.ExtraSecretKeys)
	check("extraPIIKeys", c.ExtraPIIKeys)
	check("allowKeys", c.AllowKeys)

	listed := map[string]bool{}
	for _, list := range [][]string{c.SecretKeys, c.PIIKeys, c.ExtraSecretKeys, c.ExtraPIIKeys, c.AllowKeys} {
		for _, k := range list {
			listed[normKey(k)] = true
		}
	}
	removed := func(field string, keys, defaults []string) {
		if keys == nil {
			return // nil means the default list
		}
		for _, d := range defaults {
			if !listed[normKey(d)] {
				errs = append(errs, fmt.Errorf("%s: default key %q removed without listing it in allowKeys", field, d))
			}
		}
	}
	removed("secretKeys", c.SecretKeys, defaultSecretKeys)
	removed("piiKeys", c.PIIKeys, defaultPIIKeys)
	return errors.Join(errs...)
}

// checkKey validates one key name or suffix pattern.
func checkKey(k string) error {
	k = strings.TrimSpace(k)
	switch {
	case k == "":
		return errors.New("empty key name")
	case k == "*":
		return errors.New(`pattern "*" would mask every key`)
	case strings.Contains(k[1:], "*"):
		return fmt.Errorf("key %q: '*' is allowed only as the first character (a suffix pattern)", k)
	}
	return nil
}

// normKey is the form keys are compared in.
func normKey(k string) string { return string(appendLower(nil, strings.TrimSpace(k))) }

// kind classifies a key.
type kind uint8

const (
	plain kind = iota
	secretKind
	piiKind
)

// keySet is the compiled form of a Config.
type keySet struct {
	exact    map[string]kind
	suffixes []suffix
	byLast   [256][]suffix // suffixes indexed by their last byte, so a key checks only a few
	allow    map[string]bool
}

type suffix struct {
	s string
	k kind
}

// compile builds the effective key set: defaults ∪ configured, minus
// AllowKeys. Invalid entries (which Validate reports) are skipped, never
// allowed to weaken the default.
func compile(cfg Config) keySet {
	ks := keySet{exact: map[string]kind{}, allow: map[string]bool{}}
	for _, a := range cfg.AllowKeys {
		if checkKey(a) == nil {
			ks.allow[normKey(a)] = true
		}
	}
	add := func(k kind, lists ...[]string) {
		for _, list := range lists {
			for _, key := range list {
				if checkKey(key) != nil {
					continue
				}
				n := normKey(key)
				if ks.allow[n] {
					continue
				}
				if strings.HasPrefix(n, "*") {
					dup := false
					for _, s := range ks.suffixes {
						dup = dup || s.s == n[1:]
					}
					if !dup {
						ks.suffixes = append(ks.suffixes, suffix{n[1:], k})
					}
					continue
				}
				if _, ok := ks.exact[n]; !ok {
					ks.exact[n] = k
				}
			}
		}
	}
	// Secrets first, so a key in both lists counts as a secret.
	add(secretKind, defaultSecretKeys, cfg.SecretKeys, cfg.ExtraSecretKeys)
	add(piiKind, defaultPIIKeys, cfg.PIIKeys, cfg.ExtraPIIKeys)
	for _, s := range ks.suffixes {
		if s.s != "" {
			last := s.s[len(s.s)-1]
			ks.byLast[last] = append(ks.byLast[last], s)
		}
	}
	return ks
}

// lookup classifies a key already lower-cased. The []byte form lets the JSON
// walker look keys up without allocating.
func (ks *keySet) lookup(lower []byte) kind {
	if ks.allow[string(lower)] {
		return plain
	}
	if k, ok := ks.exact[string(lower)]; ok {
		return k
	}
	if len(lower) == 0 {
		return plain
	}
	for _, s := range ks.byLast[lower[len(lower)-1]] {
		if len(lower) >= len(s.s) && string(lower[len(lower)-len(s.s):]) == s.s {
			return s.k
		}
	}
	return plain
}

// appendLower appends s with ASCII letters lower-cased.
func appendLower[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, fold(s[i]))
	}
	return dst
}

// yamlError restates yaml.v3's decoding errors in the file's own terms, the
// line and the key, never the Go type behind them ("field x not found in
// type redact.Config").
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		switch m := yamlUnknownKey().FindStringSubmatch(e); {
		case m != nil:
			msgs = append(msgs, fmt.Sprintf("%sunknown key %q", m[1], m[2]))
		default:
			if m := yamlWrongType().FindStringSubmatch(e); m != nil {
				what := strings.TrimSpace(m[3]) // the value, or else its YAML kind
				if what == "" {
					what = map[string]string{"map": "a mapping", "seq": "a list"}[m[2]]
				}
				msgs = append(msgs, fmt.Sprintf("%s%s is not %s", m[1], what, yamlKind(m[4])))
			} else {
				msgs = append(msgs, e)
			}
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}

var (
	yamlUnknownKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(line \d+: )field (\S+) not found in type \S+$`) })
	yamlWrongType  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("^(line \\d+: )cannot unmarshal !!(\\w+)( `.*`)? into (\\S+)$")
	})
)

// yamlKind names a Go type the way the file's author thinks of it.
func yamlKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint") || strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "a mapping of keys"
}
