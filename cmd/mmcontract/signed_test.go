package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure the Open API and Manager families run against the embedded
// simulator with its demo credentials, and that the Open API refusals the
// suite provokes (00012001, 00012002, 00012003) and the Manager token
// refusals pass end to end through the binary.
func TestRunSignedFamilies(t *testing.T) {
	for _, family := range []string{"openapi", "manager"} {
		t.Run(family, func(t *testing.T) {
			r, res := runSim(t, t.TempDir(), "--label-filter", family)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			ops := map[string]bool{}
			for _, c := range res.Checks {
				if c.Verdict == verdict.Skipped && c.Family == "" {
					continue // filtered out by the label filter
				}
				if c.Family != family {
					t.Errorf("%s: family %q, want %q", c.Spec, c.Family, family)
				}
				if c.Verdict != verdict.Pass {
					t.Errorf("%s: verdict %s (%s), want pass", c.Spec, c.Verdict, c.Message)
				}
				ops[c.Operation] = true
			}
			want := map[string][]string{
				"openapi": {"customer.app.CustomerWebApiService.findCustomerInfo", "customer.app.CustomerApiWebService.page",
					"config.app.AppSymbolDubboService.getSymbolBaseList", "getMsgPushToken"},
				"manager": {"admin.admin.CompanyAuthDubboService.auth", "config.admin.AdminDictDubboService.getListByParentCode",
					"config.admin.AdminAssetsDubboService.getAssetsList", "config.admin.AdminSymbolDubboService.getSymbolByCompanyId",
					"customer.admin.WhiteCustomerAdminApiService.page", "customer.admin.WhiteCustomerAdminApiService.detail",
					"customer.admin.CustomerGroupAdminApiService.groupList", "customer.admin.CustomerAdminApiService.queryAccountList"},
			}[family]
			for _, op := range want {
				if !ops[op] {
					t.Errorf("no check of %s", op)
				}
			}
			if family == "openapi" {
				codes := map[string]bool{}
				for _, c := range res.Checks {
					codes[c.EnvelopeCode] = true
				}
				for _, code := range []signing.Code{signing.CodeSignatureFailed, signing.CodeOutsideWindow, signing.CodeUnknownAPIKey} {
					if !codes[string(code)] {
						t.Errorf("no passing negative check saw %s", code)
					}
				}
			}
		})
	}
}

// Ensure the encrypted mode round-trips through the simulator: with
// MM_COMPANY_PUBLIC_KEY set to the simulator's company key, every Client
// and Manager request is encrypted, sent with an "x-" trace, decrypted and
// verified by the simulator, and the run passes.
func TestRunEncryptedMode(t *testing.T) {
	out := t.TempDir()
	// --scenario nominal: vendor keys without a target are refused unless
	// the simulator is chosen on purpose.
	r := mmcontract(t, []string{"MM_COMPANY_PUBLIC_KEY=" + simulator.DemoCompanyPublicKey()},
		"run", "--out", out, "--scenario", "nominal", "--label-filter", "(client && smoke) || manager")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	res := readResults(t, out)
	pass := map[string]int{}
	for _, c := range res.Checks {
		if c.Verdict == verdict.Pass {
			pass[c.Family]++
		}
	}
	if pass["client"] == 0 || pass["manager"] == 0 {
		t.Fatalf("passing checks per family %v, want client and manager", pass)
	}
	raw, err := os.ReadFile(filepath.Join(out, "ginkgo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Trace\\?":\s*\[\s*\\?"x-`).Match(raw) {
		t.Error(`no recorded request carries an "x-" trace: the encrypted mode was not used`)
	}
}

// Ensure a wrong key in the environment is a usage error (exit 2) that
// names the variable and never echoes the value.
func TestRunKeyUsageErrors(t *testing.T) {
	const junk = "MIICnot-a-real-key-canary-7f3a"
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"api secret not a key", []string{"MM_API_KEY=k", "MM_API_SECRET=" + junk}, "MM_API_SECRET"},
		{"api key without secret", []string{"MM_API_KEY=k"}, "MM_API_SECRET"},
		{"company key not a key", []string{"MM_COMPANY_PUBLIC_KEY=" + junk}, "MM_COMPANY_PUBLIC_KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// On the simulator on purpose (--scenario): without it the run
			// would stop earlier, at the credential given without a target.
			r := mmcontract(t, tc.env, "run", "--scenario", "nominal", "--out", t.TempDir())
			if r.code != verdict.ExitUsage {
				t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not name %s:\n%s", tc.want, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, junk) {
				t.Errorf("output echoes the key value:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}

// longBase64 matches a base64 run as long as an RSA-2048 signature (344
// characters) or longer: no such value has business in any output except
// the company public key, which is public.
var longBase64 = regexp.MustCompile(`[A-Za-z0-9+/]{300,}={0,2}`)

// Ensure a planted canary API key and secret never reach any output: the
// files of the run's out dir, stdout and stderr contain neither the key,
// nor the secret's base64 (whole or as PEM lines), nor any signature.
func TestCanarySignedCredentialsNeverOutput(t *testing.T) {
	key, err := signing.GenerateKeyPair(2048)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := signing.EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	const apiKey = "canary-api-key-5b1e9d"
	const appSecret = "canary-app-secret-c0ffee"
	out := t.TempDir()
	r := mmcontract(t, []string{"MM_API_KEY=" + apiKey, "MM_API_SECRET=" + secret,
		"MM_APP_ID=canary-app", "MM_APP_SECRET=" + appSecret}, "run", "--out", out, "--scenario", "nominal", "-v")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (the embedded simulator trusts the given key)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	res := readResults(t, out)
	signed := 0
	for _, c := range res.Checks {
		if c.Family == "openapi" && c.Verdict == verdict.Pass {
			signed++
		}
	}
	if signed == 0 {
		t.Fatal("no Open API check passed: the canary key was not used")
	}
	der, _ := base64.StdEncoding.DecodeString(secret)
	forbidden := []string{apiKey, appSecret, secret, secret[:64], secret[len(secret)/2 : len(secret)/2+64],
		base64.URLEncoding.EncodeToString(der)[:64]}
	pub := simulator.DemoCompanyPublicKey()
	check := func(where, text string) {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%s contains a planted secret (%d chars)", where, len(f))
			}
		}
		for _, m := range longBase64.FindAllString(text, -1) {
			if !strings.Contains(pub, strings.TrimRight(m, "=")) {
				t.Errorf("%s contains a long base64 value (%d chars), a signature or key", where, len(m))
			}
		}
	}
	check("stdout", r.stdout)
	check("stderr", r.stderr)
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		check(filepath.Base(path), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
