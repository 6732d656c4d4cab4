package runner

import (
	"crypto/rsa"
	"net/http"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/simulator"
)

// families are the vendor clients of one run; a nil one means its
// credentials are absent and its specs skip.
type families struct {
	client, openAPI, manager *mmapi.Client
	openAPIVariant           func(apiKey string, key *rsa.PrivateKey) (*mmapi.Client, error)
}

// plainAuth2 sends the Auth2 family's requests (and the Manager quote REST
// endpoints', mmapi.PlainOnly) through plain and every other one through
// encrypted.
type plainAuth2 struct{ plain, encrypted http.RoundTripper }

func (t plainAuth2) RoundTrip(r *http.Request) (*http.Response, error) {
	if mmapi.PlainOnly(r) {
		return t.plain.RoundTrip(r)
	}
	return t.encrypted.RoundTrip(r)
}

// useDemoCredentials fills the credentials the user did not give with the
// embedded simulator's own, so that every family runs against it.
func useDemoCredentials(creds *Credentials, demo simulator.DemoCredentials, red *redact.Redactor) error {
	if creds.APIKey == "" && creds.APISecret == "" {
		secret, err := signing.EncodePrivateKey(demo.APISecret)
		if err != nil {
			return err
		}
		creds.APIKey, creds.APISecret = demo.APIKey, secret
	}
	if creds.AppID == "" && creds.AppSecret == "" {
		creds.AppID, creds.AppSecret = demo.AppID, demo.AppSecret
	}
	if creds.Auth2AppID == "" && creds.Auth2AppSecret == "" {
		creds.Auth2AppID, creds.Auth2AppSecret = simulator.DemoAuth2AppID, simulator.DemoAuth2AppSecret
	}
	red.Learn(creds.APIKey, creds.APISecret, creds.AppSecret, creds.Auth2AppSecret)
	return nil
}

// buildFamilies makes one mmapi.Client per family whose credentials exist.
// Key material is parsed here; parse errors never quote the key.
// ratePerMinute is each client's limit per operation.
func buildFamilies(target string, creds Credentials, opts Options, ratePerMinute int, red *redact.Redactor, breaker *mmapi.Breaker) (families, error) {
	var f families
	var companyPub *rsa.PublicKey
	if creds.CompanyPublicKey != "" {
		pub, err := signing.ParsePublicKey(creds.CompanyPublicKey)
		if err != nil {
			return f, usagef("MM_COMPANY_PUBLIC_KEY: %v", err)
		}
		companyPub = pub
	}
	// --retries 0 means none; mmapi reads 0 as "default" and negative as none.
	retries := opts.Retries
	if retries == 0 {
		retries = -1
	}
	cfg := mmapi.Config{
		BaseURL: target, CompanyID: creds.CompanyID, Lang: creds.Lang,
		LoginName: creds.LoginName, LoginPassword: creds.LoginPassword, LoginType: creds.LoginType, PhoneArea: creds.PhoneArea,
		Token: creds.Token, AppID: creds.AppID, AppSecret: creds.AppSecret, Auth2BaseURL: creds.Auth2BaseURL,
		Timeout: opts.Timeout, MaxRetries: retries, Redactor: red, Breaker: breaker, RatePerMinute: ratePerMinute,
		Encrypted: companyPub != nil,
	}
	// encrypted wraps hc's transport in the encrypted mode when a company
	// public key is set (Client and Manager families); the Client API's
	// client also makes the Auth2 calls, which the Auth2 API documents in
	// plain JSON only, so they pass through as they are.
	encrypted := func(hc *http.Client) *http.Client {
		if companyPub != nil {
			hc.Transport = plainAuth2{plain: hc.Transport,
				encrypted: &signing.EncryptedTransport{Base: hc.Transport, Pub: companyPub, Redactor: red}}
		}
		return hc
	}
	var err error
	if f.client, err = mmapi.New(cfg, encrypted(mmapi.NewHTTPClient(opts.Insecure))); err != nil {
		return f, usagef("client: %v", err)
	}
	if creds.AppID != "" && creds.AppSecret != "" {
		if f.manager, err = mmapi.New(cfg, encrypted(mmapi.NewHTTPClient(opts.Insecure))); err != nil {
			return f, usagef("manager client: %v", err)
		}
	}
	if creds.APIKey == "" && creds.APISecret == "" {
		return f, nil
	}
	if creds.APIKey == "" || creds.APISecret == "" {
		return f, usagef("Open API: set both MM_API_KEY and MM_API_SECRET")
	}
	key, err := signing.ParsePrivateKey(creds.APISecret)
	if err != nil {
		return f, usagef("MM_API_SECRET: %v", err)
	}
	ocfg := cfg
	ocfg.Encrypted = false // the Open API signs; it is never encrypted
	f.openAPIVariant = func(apiKey string, k *rsa.PrivateKey) (*mmapi.Client, error) {
		if apiKey == "" {
			apiKey = creds.APIKey
		}
		if k == nil {
			k = key
		}
		hc := mmapi.NewHTTPClient(opts.Insecure)
		t := &signing.OpenAPITransport{Base: hc.Transport, APIKey: apiKey, Key: k, Redactor: red}
		red.Learn(t.Secrets()...)
		hc.Transport = t
		return mmapi.New(ocfg, hc)
	}
	if f.openAPI, err = f.openAPIVariant("", nil); err != nil {
		return f, usagef("open api client: %v", err)
	}
	return f, nil
}
