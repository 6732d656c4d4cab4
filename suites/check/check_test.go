package check_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

const findCustomerInfo = "customer.app.CustomerWebApiService.findCustomerInfo"

func envelope(t *testing.T, mutate func(map[string]any)) []byte {
	t.Helper()
	env := map[string]any{"bizCode": "", "code": "0", "msg": "Success", "tm": 12, "trace": "t-1", "msgParams": nil,
		"data": map[string]any{"id": 1176, "customerNo": "86001175", "companyId": 360}, "ok": true, "fail": false}
	mutate(env)
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pointers(vs []contract.Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Pointer+" "+v.Keyword)
	}
	return out
}

// Ensure the data check fails a broken envelope with the envelope's own
// violations, checks data only under a holding success envelope, and that
// the matcher's failure text is made from exactly the result recorded.
func TestDataCheck(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(map[string]any)
		want   []string
	}{
		{"holds", func(map[string]any) {}, []string{}},
		{"broken envelope, good data", func(e map[string]any) { e["code"] = 0 }, []string{"/code type"}},
		{"broken data", func(e map[string]any) { e["data"].(map[string]any)["id"] = "x" }, []string{"/data/id type"}},
		{"error envelope: data not checked", func(e map[string]any) {
			e["ok"], e["fail"], e["code"], e["data"] = false, true, "E1", "bizType"
		}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := envelope(t, tc.mutate)
			vs, err := check.DataOfBody(set, "client", findCustomerInfo, body)
			if err != nil {
				t.Fatal(err)
			}
			if got := pointers(vs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("violations %v, want %v", got, tc.want)
			}
			m := matchers.MatchSchema(set, "client", findCustomerInfo)
			ok, err := m.Match(body)
			if err != nil || ok != (len(vs) == 0) {
				t.Fatalf("MatchSchema = %t, %v; the check found %d violation(s)", ok, err, len(vs))
			}
			if !ok {
				h := matchers.HoldContract(matchers.SchemaOf("client", findCustomerInfo))
				if _, err := h.Match(vs); err != nil {
					t.Fatal(err)
				}
				if a, b := m.FailureMessage(body), h.FailureMessage(vs); a != b || a != check.Failure(matchers.SchemaOf("client", findCustomerInfo), vs) {
					t.Errorf("failure texts differ:\n%s\n%s", a, b)
				}
			}
		})
	}
}

// Ensure only breaking drift fails the shape check, and any drift marks it.
func TestShape(t *testing.T) {
	breaking, drifted := check.Shape([]contract.Drift{
		{Pointer: "/data/id", Change: contract.TypeChanged, Severity: verdict.Breaking, Baseline: "integer", Observed: "string"},
		{Pointer: "/data/x", Change: contract.Added, Severity: verdict.Info, Baseline: "absent", Observed: "string"},
	})
	if len(breaking) != 1 || breaking[0] != "/data/id type_changed (baseline integer, observed string)" || !drifted {
		t.Errorf("breaking %q drifted %t", breaking, drifted)
	}
	if b, d := check.Shape(nil); b != nil || d {
		t.Errorf("no drift: %q %t", b, d)
	}
}

// Ensure the envelope check holds each operation to the envelope its
// catalog entry names: a Manager quote endpoint to {ret, msg, trace, data}
// (and not to the gateway's), a market-maker report documented as a bare
// object to nothing, checking that object whole with pointers from the root,
// while the gateway's envelope around it is still accepted and checked, and
// a credit-card operation whose examples lack ok and fail to the standard
// envelope without them.
func TestEnvelopeKinds(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	const quote, bare, codeOnly = "quote-b-api/kline", "benefit.app.ReportDatadDubboService.getLevel", "passToCredit.app.AppCardQueryService.queryCardList"
	tests := []struct {
		name, family, bizType, body string
		wantEnvelope, wantData      []string
	}{
		{"quote reply", "manager", quote, `{"ret":200,"msg":"ok","trace":"t","data":{}}`, []string{}, []string{}},
		{"quote reply without ret", "manager", quote, `{"msg":"ok","trace":"t","data":{}}`, []string{"/ret required"}, []string{"/ret required"}},
		{"gateway envelope where a quote reply is due", "manager", quote,
			`{"bizCode":"","code":"0","msg":"","tm":1,"trace":"t","ok":true,"fail":false,"data":{}}`, []string{"/ret required"}, []string{"/ret required"}},
		{"bare object", "client", bare, `{"makerLevel":"1","takerLevel":"2"}`, []string{}, []string{}},
		{"bare object, wrong type", "client", bare, `{"makerLevel":{},"takerLevel":"2"}`, []string{}, []string{"/makerLevel type"}},
		{"bare operation in the gateway envelope", "client", bare,
			`{"bizCode":"","code":"0","msg":"","tm":1,"trace":"t","ok":true,"fail":false,"data":{"makerLevel":[]}}`, []string{}, []string{"/data/makerLevel type"}},
		{"code-only reply without ok and fail", "client", codeOnly, `{"bizCode":"","code":"0","msg":"","tm":1,"trace":"t","data":[]}`, []string{}, []string{}},
		{"code-only reply, wrong data", "client", codeOnly, `{"bizCode":"","code":"0","msg":"","tm":1,"trace":"t","data":"cards"}`, []string{}, []string{"/data type"}},
		{"code-only reply with a bad ok", "client", codeOnly, `{"bizCode":"","code":"0","msg":"","tm":1,"trace":"t","ok":"yes","data":[]}`, []string{"/ok type"}, []string{"/ok type"}},
		{"code-only reply without tm", "client", codeOnly, `{"bizCode":"","code":"0","msg":"","trace":"t","data":[]}`, []string{"/tm required"}, []string{"/tm required"}},
		{"bare operation in a broken envelope", "client", bare, `{"code":0,"ok":true}`,
			[]string{"/bizCode required", "/code type", "/fail required", "/msg required", "/tm required", "/trace required"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := check.Envelope(set, tt.family, tt.bizType, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := pointers(ev); !reflect.DeepEqual(got, tt.wantEnvelope) {
				t.Errorf("envelope violations %v, want %v", got, tt.wantEnvelope)
			}
			if tt.wantData == nil {
				return
			}
			dv, err := check.DataOfBody(set, tt.family, tt.bizType, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := pointers(dv); !reflect.DeepEqual(got, tt.wantData) {
				t.Errorf("data violations %v, want %v", got, tt.wantData)
			}
		})
	}
}
