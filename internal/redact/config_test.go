package redact

import (
	"strings"
	"testing"
)

// Ensure LoadConfig extends the defaults, honours AllowKeys, and rejects
// unknown fields, empty names, bad patterns and silently dropped defaults
// with a message naming the field.
func TestLoadConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		wantErr    string
		masked     []string
		kept       []string
	}{
		{name: "empty document keeps defaults", yaml: "", masked: []string{"email", "token"}, kept: []string{"shareToken"}},
		{name: "extra keys add", yaml: "extraPIIKeys: [nickName]\nextraSecretKeys: ['*otp']\n",
			masked: []string{"nickname", "NICKNAME", "emailOtp", "email"}},
		{name: "allow removes a default", yaml: "allowKeys: [shareToken, name, '*address']\n",
			kept: []string{"name", "bitcoinAddress"}, masked: []string{"address", "email"}},
		{name: "json works too", yaml: `{"extraPIIKeys": ["nickName"]}`, masked: []string{"nickName"}},
		{name: "unknown field", yaml: "piiKey: [x]\n", wantErr: `line 1: unknown key "piiKey"`},
		{name: "scalar for a list", yaml: "extraPIIKeys: 5\n", wantErr: "line 1: `5` is not a list"},
		{name: "mapping for a list", yaml: "extraPIIKeys: {a: 1}\n", wantErr: "line 1: a mapping is not a list"},
		{name: "not YAML", yaml: "extraPIIKeys: [\n", wantErr: "not valid YAML: line"},
		{name: "empty key", yaml: "extraPIIKeys: ['', ok]\n", wantErr: "extraPIIKeys[0]: empty key name"},
		{name: "star alone", yaml: "extraSecretKeys: ['*']\n", wantErr: `extraSecretKeys[0]: pattern "*" would mask every key`},
		{name: "inner star", yaml: "extraSecretKeys: ['a*b']\n", wantErr: `'*' is allowed only as the first character`},
		{name: "dropped default", yaml: "piiKeys: [email]\n", wantErr: `piiKeys: default key "phone" removed without listing it in allowKeys`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(strings.NewReader(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				// The user wrote YAML, not Go: no Go type or package names.
				if strings.Contains(err.Error(), "redact.") || strings.Contains(err.Error(), "[]string") || strings.Contains(err.Error(), "yaml:") {
					t.Errorf("err = %v names Go internals", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := New(cfg)
			for _, k := range tc.masked {
				if !r.Sensitive(k) {
					t.Errorf("%q not masked", k)
				}
			}
			for _, k := range tc.kept {
				if r.Sensitive(k) {
					t.Errorf("%q masked", k)
				}
			}
		})
	}
}

// Ensure New never masks less than the default, even for a zero Config or a
// config that dropped keys without allowing them.
func TestNewNeverWeakensDefault(t *testing.T) {
	for name, cfg := range map[string]Config{
		"zero":    {},
		"dropped": {SecretKeys: []string{"x"}, PIIKeys: []string{"", "*"}},
	} {
		r := New(cfg)
		for _, k := range append(sampleKeys(defaultSecretKeys), sampleKeys(defaultPIIKeys)...) {
			if !r.Sensitive(k) {
				t.Errorf("%s: %q not masked", name, k)
			}
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}

// Ensure Merge layers lists: replacements replace, extras and allows add up.
func TestMerge(t *testing.T) {
	got := DefaultConfig().Merge(Config{ExtraPIIKeys: []string{"nick"}, AllowKeys: []string{"name"}})
	if len(got.SecretKeys) != len(defaultSecretKeys) || len(got.ExtraPIIKeys) != 1 || len(got.AllowKeys) != 2 {
		t.Fatalf("merge wrong: %+v", got)
	}
	if r := New(got); r.Sensitive("name") || !r.Sensitive("nick") {
		t.Fatal("merged config not applied")
	}
}
