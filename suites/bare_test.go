package suites

import (
	"testing"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/schemas"
)

// Ensure a market-maker report answered with the bare data object its spec
// documents passes the run's per-response path, the data checked whole with
// pointers from the root and no envelope invariants, while the same body from
// an operation that promises the envelope breaks the envelope schema.
func TestBareReply(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Schemas: set, Redactor: redact.New(redact.DefaultConfig())}
	opOf := func(biz string) Operation {
		cat, ok := set.Operation("client", biz)
		if !ok {
			t.Fatalf("%s is not in the catalog", biz)
		}
		return Operation{Operation: cat}
	}
	bare := opOf("benefit.app.ReportDatadDubboService.getLevel")
	if bare.Envelope != schemas.EnvelopeBare {
		t.Fatalf("getLevel envelope %q, want %q", bare.Envelope, schemas.EnvelopeBare)
	}
	notAnEnvelope := &mmapi.ContractError{Reason: `not an envelope: none of "code", "ok" or "ret" is present`}
	reply := func(body string) *mmapi.Exchange { return &mmapi.Exchange{HTTPStatus: 200, Body: []byte(body)} }

	rc, err := env.CheckResponse(bare, reply(`{"makerLevel":"1","takerLevel":"2"}`), notAnEnvelope)
	if err != nil || len(rc.Envelope)+len(rc.Data)+len(rc.Invariants) != 0 {
		t.Errorf("the documented bare object: %v, %+v", err, rc)
	}
	rc, err = env.CheckResponse(bare, reply(`{"makerLevel":{"x":1},"takerLevel":"2"}`), notAnEnvelope)
	if err != nil || len(rc.Data) != 1 || rc.Data[0].Pointer != "/makerLevel" || rc.Data[0].Keyword != "type" {
		t.Errorf("a bare object of the wrong type: %v, %+v, want one type violation at /makerLevel", err, rc.Data)
	}
	rc, err = env.CheckResponse(opOf("customer.app.CustomerWebApiService.findCustomerInfo"), reply(`{"makerLevel":"1"}`), notAnEnvelope)
	if err != nil || len(rc.Envelope) == 0 || len(rc.Data) != len(rc.Envelope) {
		t.Errorf("a bare object where the envelope is due: %v, %+v, want the envelope's violations", err, rc)
	}
}
