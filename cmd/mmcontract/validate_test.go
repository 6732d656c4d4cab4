package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/simulator"
)

const customerInfo = "customer.app.CustomerWebApiService.findCustomerInfo"

// simBody is the simulator's findCustomerInfo body in scenario sc, fetched
// over loopback by the real vendor client.
func simBody(t *testing.T, sc string) []byte {
	t.Helper()
	sim := newSimulator(t)
	t.Cleanup(sim.Close)
	if err := sim.SetScenario(sc); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	u := simulator.DefaultUser()
	c, err := mmapi.New(mmapi.Config{BaseURL: srv.URL, CompanyID: simulator.DefaultCompanyID,
		LoginName: u.LoginName, LoginPassword: u.Password}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Call(context.Background(), mmapi.Operation{BizType: customerInfo}, map[string]any{})
	if err != nil {
		t.Fatalf("findCustomerInfo in %s: %v", sc, err)
	}
	return ex.Body
}

// validateJSON runs `mmcontract validate --format json` and decodes its
// report, as a script consuming it would.
func validateJSON(t *testing.T, args ...string) (int, validateReport) {
	t.Helper()
	r := mmcontract(t, nil, append([]string{"validate", "--format", "json"}, args...)...)
	var rep validateReport
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("validate %v: exit %d, output is not the JSON report: %v\nstdout: %s\nstderr: %s", args, r.code, err, r.stdout, r.stderr)
	}
	return r.code, rep
}

func checkOf(rep validateReport, name string) validateCheck {
	for _, c := range rep.Checks {
		if c.Check == name {
			return c
		}
	}
	return validateCheck{}
}

// Ensure `mmcontract validate` gives a captured body the checks a run gives
// the response: a nominal simulator body holds (exit 0, from a file and from
// stdin, in both formats), and broken ones are violated (exit 1) with the
// same pointers and keywords a run records.
func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", simBody(t, "nominal"))
	typeChange := writeFile(t, dir, "type-change.json", simBody(t, "type-change"))
	nonJSON := writeFile(t, dir, "waf.html", []byte("<html><head><title>403 Forbidden</title></head></html>"))
	vendorError := writeFile(t, dir, "refused.json", []byte(`{"bizCode":"customer","code":"10010","msg":"no","tm":3,"trace":"t-9","msgParams":null,"data":"x","ok":false,"fail":true}`))
	mismatch := writeFile(t, dir, "mismatch.json", []byte(`{"bizCode":"","code":"0","msg":"ok","tm":"3","trace":"t-9","msgParams":null,"data":{},"ok":true,"fail":true}`))

	r := mmcontract(t, nil, "validate", "--operation", customerInfo, good)
	if r.code != 0 || !strings.Contains(r.stdout, "contract holds") || r.stderr != "" {
		t.Fatalf("nominal body: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	code, rep := validateJSON(t, "--family", "client", "--operation", "findCustomerInfo", good)
	if code != 0 || !rep.Holds || rep.Operation != customerInfo || len(rep.Checks) != 3 {
		t.Fatalf("nominal body as JSON: exit %d, %+v", code, rep)
	}
	for _, c := range rep.Checks {
		if !c.Holds || len(c.Violations) != 0 {
			t.Errorf("nominal body: check %s: %+v", c.Check, c)
		}
	}

	// stdin, with "-" and with no FILE at all, and the flags after it.
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"validate", "-", "--operation", customerInfo}, {"validate", "--operation", customerInfo}} {
		cmd := mmcontractCmd(t, nil, args...)
		cmd.Stdin = bytes.NewReader(body)
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "contract holds") {
			t.Errorf("%v on stdin: %v\n%s", args, err, out)
		}
	}

	tests := []struct {
		name, file string
		check      string   // the violated check
		want       []string // its "pointer keyword" pairs
	}{
		{"type change", typeChange, "data", []string{"/data/id type"}},
		{"not JSON", nonJSON, "envelope", []string{" json"}},
		{"vendor error", vendorError, "data", []string{"/code vendor_error"}},
		{"invariants", mismatch, "invariants", []string{"/fail ok_fail", "/tm tm_integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, rep := validateJSON(t, "--operation", customerInfo, tt.file)
			c := checkOf(rep, tt.check)
			var got []string
			for _, v := range c.Violations {
				got = append(got, v.Pointer+" "+v.Keyword)
			}
			if code != 1 || rep.Holds || c.Holds || !slices.Equal(got, tt.want) {
				t.Errorf("exit %d holds %v; %s check holds=%v violations %v, want exit 1 and %v", code, rep.Holds, tt.check, c.Holds, got, tt.want)
			}
			if tt.check == "envelope" {
				if d := checkOf(rep, "data"); d.Holds || d.Note == "" {
					t.Errorf("the data check should fail saying why it was not made: %+v", d)
				}
			}
			keyword := tt.want[0][strings.LastIndex(tt.want[0], " ")+1:]
			r := mmcontract(t, nil, "validate", "--operation", customerInfo, tt.file)
			if r.code != 1 || !strings.Contains(r.stdout, "contract violated") || !strings.Contains(r.stdout, "  "+keyword+"  ") {
				t.Errorf("text: exit %d, want 1 and a %s line\n%s", r.code, keyword, r.stdout)
			}
		})
	}
}

// Ensure validate holds a body to the envelope its operation's catalog entry
// names: a market-maker report's bare data object (checked whole, pointers
// from the root), a Manager quote endpoint's {ret, msg, trace, data}, and a
// credit-card operation's envelope without ok and fail.
func TestValidateOtherEnvelopes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, family, operation, body string
		holds                         bool
		check                         string
		want                          []string
	}{
		{"bare object", "client", "benefit.app.ReportDatadDubboService.getLevel", `{"makerLevel":"1","takerLevel":"2"}`, true, "", nil},
		{"bare object, wrong type", "client", "benefit.app.ReportDatadDubboService.getLevel", `{"makerLevel":[],"takerLevel":"2"}`, false, "data", []string{"/makerLevel type"}},
		{"quote reply", "manager", "quote-b-api/kline", `{"ret":200,"msg":"ok","trace":"t","data":{"kline_list":[]}}`, true, "", nil},
		{"quote reply without ret", "manager", "quote-b-api/kline", `{"msg":"ok","trace":"t","data":{}}`, false, "envelope", []string{"/ret required"}},
		{"code-only reply", "client", "passToCredit.app.AppCardQueryService.queryCardList", `{"bizCode":"","code":"0","msg":"ok","tm":3,"trace":"t","data":[]}`, true, "", nil},
		{"code-only reply, wrong data", "client", "passToCredit.app.AppCardQueryService.queryCardList", `{"bizCode":"","code":"0","msg":"ok","tm":3,"trace":"t","data":"cards"}`, false, "data", []string{"/data type"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, dir, fmt.Sprintf("%d.json", i), []byte(tt.body))
			code, rep := validateJSON(t, "--family", tt.family, "--operation", tt.operation, f)
			if rep.Holds != tt.holds || (code == 0) != tt.holds {
				t.Fatalf("exit %d, holds %v, want %v: %+v", code, rep.Holds, tt.holds, rep)
			}
			if tt.holds {
				return
			}
			var got []string
			for _, v := range checkOf(rep, tt.check).Violations {
				got = append(got, v.Pointer+" "+v.Keyword)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s check violations %v, want %v", tt.check, got, tt.want)
			}
		})
	}
}

// Ensure a value seen in a violation is masked where it is sensitive, in
// both formats: an e-mail address in the wrong type of field never appears.
func TestValidateRedacts(t *testing.T) {
	const secret = "alice.secret@example.com"
	file := writeFile(t, t.TempDir(), "leak.json", []byte(`{"bizCode":"","code":"0","msg":"ok","tm":3,"trace":"t","msgParams":null,"ok":true,"fail":false,"data":{"id":"`+secret+`","email":7,"customerNo":"1","companyId":1}}`))
	for _, format := range []string{"text", "json"} {
		r := mmcontract(t, nil, "validate", "--format", format, "--operation", customerInfo, file)
		if r.code != 1 || !strings.Contains(r.stdout, "/data/id") {
			t.Fatalf("%s: exit %d\n%s%s", format, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "alice.secret") {
			t.Errorf("%s output shows the e-mail address:\n%s", format, r.stdout)
		}
	}
}

// Ensure bad usage, an unknown family or operation (with a did-you-mean),
// an ambiguous method name and an unreadable file are exit 2 with a message
// naming the problem.
func TestValidateUsageErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "b.json", []byte(`{}`))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown family", []string{"--family", "clinet", "--operation", customerInfo, good}, `unknown family "clinet", did you mean "client"?`},
		{"unknown operation", []string{"--operation", "findCustomerInf", good}, `did you mean "findCustomerInfo"?`},
		{"no operation", []string{good}, "--operation is required"},
		{"ambiguous method", []string{"--operation", "add", good}, `--operation "add" names`},
		{"missing file", []string{"--operation", customerInfo, filepath.Join(dir, "nope.json")}, "nope.json"},
		{"a directory", []string{"--operation", customerInfo, dir}, "read body"},
		{"two files", []string{"--operation", customerInfo, good, good}, "one body at a time"},
		{"bad format", []string{"--format", "xml", "--operation", customerInfo, good}, `--format "xml"`},
		{"bad flag", []string{"--operaton", customerInfo, good}, `did you mean "--operation"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mmcontract(t, nil, append([]string{"validate"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %q (stdout %q)", r.code, r.stderr, tt.want, r.stdout)
			}
		})
	}
	r := mmcontract(t, nil, "validate", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "--operation BIZTYPE") {
		t.Errorf("-h: exit %d, stdout %q", r.code, r.stdout)
	}
}
