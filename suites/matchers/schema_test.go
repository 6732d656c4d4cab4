package matchers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/onsi/gomega"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

const findCustomerInfo = "customer.app.CustomerWebApiService.findCustomerInfo"

func load(t *testing.T, opts ...schemas.Option) *schemas.Set {
	t.Helper()
	set, err := schemas.Load(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func body(t *testing.T, data any, mutate func(map[string]any)) []byte {
	t.Helper()
	env := map[string]any{"bizCode": "", "code": "0", "msg": "Success", "tm": 12, "trace": "t-1",
		"msgParams": nil, "data": data, "ok": true, "fail": false}
	if mutate != nil {
		mutate(env)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goodCustomer() map[string]any {
	return map[string]any{"id": 1176, "customerNo": "86001175", "companyId": 360, "email": nil,
		"accountList": []any{map[string]any{"accountId": 1031717, "balance": "1.00", "currency": "USDT"}}}
}

// Ensure a conforming body matches and a broken one fails with every
// violation listed, one per line, in a stable order, with the seen values.
func TestMatchSchemaFailureText(t *testing.T) {
	set := load(t)
	g := gomega.NewWithT(t)
	g.Expect(body(t, goodCustomer(), nil)).To(matchers.MatchSchema(set, "client", findCustomerInfo))

	bad := goodCustomer()
	bad["id"] = nil
	delete(bad, "customerNo")
	bad["accountList"] = []any{map[string]any{"accountId": 1, "balance": 12, "status": "x"}}
	b := body(t, bad, func(env map[string]any) { env["tm"] = "12" })

	m := matchers.MatchSchema(set, "client", findCustomerInfo)
	ok, err := m.Match(b)
	if err != nil || ok {
		t.Fatalf("Match = %v, %v; want false, nil", ok, err)
	}
	// The envelope fails first; data is only judged on a valid envelope.
	want := "response body does not satisfy the client schema of " + findCustomerInfo + ": 1 violation(s)\n" +
		"  /tm  type  expected integer, seen string \"12\"  (type is string, want integer)\n"
	if got := m.FailureMessage(b); got != want {
		t.Errorf("failure message:\n%s\nwant:\n%s", got, want)
	}

	b = body(t, bad, nil)
	ok, _ = m.Match(b)
	if ok {
		t.Fatal("broken data matched")
	}
	want = "response body does not satisfy the client schema of " + findCustomerInfo + ": 4 violation(s)\n" +
		"  /data/accountList/0/balance  type  expected string|null, seen integer 12  (type is integer, want string|null)\n" +
		"  /data/accountList/0/status  type  expected integer|null, seen string \"x\"  (type is string, want integer|null)\n" +
		"  /data/customerNo  required  expected present, seen absent  (required field is missing)\n" +
		"  /data/id  type  expected integer, seen null  (type is null, want integer)\n"
	for i := 0; i < 5; i++ { // gojsonschema's order varies; ours must not
		if _, err := m.Match(b); err != nil {
			t.Fatal(err)
		}
		if got := m.FailureMessage(b); got != want {
			t.Fatalf("run %d failure message:\n%s\nwant:\n%s", i, got, want)
		}
	}
	if got := m.NegatedFailureMessage(b); !strings.Contains(got, "expected not to") {
		t.Errorf("negated message %q", got)
	}
}

// Ensure an error envelope is judged by the envelope schema only (its data
// is the bizType string), and a non-JSON body is reported at the root.
func TestMatchSchemaErrorEnvelopeAndNonJSON(t *testing.T) {
	set := load(t)
	errBody := body(t, findCustomerInfo, func(env map[string]any) {
		env["ok"], env["fail"], env["code"], env["bizCode"] = false, true, "GATEWAY_CODE_005", "G"
	})
	g := gomega.NewWithT(t)
	g.Expect(errBody).To(matchers.MatchSchema(set, "client", findCustomerInfo))
	g.Expect(errBody).To(matchers.MatchEnvelopeSchema(set))

	m := matchers.MatchEnvelopeSchema(set)
	html := []byte("<html><body>403 Forbidden</body></html>")
	if ok, err := m.Match(html); ok || err != nil {
		t.Fatalf("Match(html) = %v, %v", ok, err)
	}
	msg := m.FailureMessage(html)
	if !strings.Contains(msg, "(root)  json  expected JSON, seen 39 bytes starting \"<html><body>403\"") {
		t.Errorf("failure message %q", msg)
	}
	if _, err := m.Match(42); err == nil {
		t.Error("Match(42) succeeded; want a type error")
	}
}

// Ensure a learned secret never appears in the failure text.
func TestMatchSchemaRedactsSeenValues(t *testing.T) {
	r := redact.New(redact.DefaultConfig())
	r.Learn("a541f9d5-2507-42b3-b790-59e1f755c380app")
	set := load(t, schemas.WithRedactor(r))
	c := goodCustomer()
	c["customerNo"] = 0
	c["remark"] = 0
	b := body(t, c, func(env map[string]any) { env["tm"] = "a541f9d5-2507-42b3-b790-59e1f755c380app" })
	m := matchers.MatchSchema(set, "client", findCustomerInfo)
	if ok, err := m.Match(b); ok || err != nil {
		t.Fatalf("Match = %v, %v", ok, err)
	}
	msg := m.FailureMessage(b)
	if strings.Contains(msg, "a541f9d5") || !strings.Contains(msg, "/tm  type  expected integer, seen string \"[redacted]\"") {
		t.Errorf("failure message leaks or lacks the violation:\n%s", msg)
	}
}
