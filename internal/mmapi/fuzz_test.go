package mmapi

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeEnvelope ensures DecodeEnvelope never panics, fails only with a
// one-line ContractError, and never accepts what encoding/json would reject
// or read differently. The seed corpus is in testdata/fuzz/FuzzDecodeEnvelope.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(realisticFindCustomerInfo())
	f.Add(envelope(CodeTokenExpired, "customer.app.CustomerWebApiService.findCustomerInfo"))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeEnvelope(body)
		if err != nil {
			var ce *ContractError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a ContractError", err, err)
			}
			if ce.Reason == "" || strings.ContainsAny(ce.Reason, "\r\n") || len(ce.Reason) > 300 {
				t.Fatalf("reason is not one short line: %q", ce.Reason)
			}
			if env != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		assertAgrees(t, body)
	})
}
