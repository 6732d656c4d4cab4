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
