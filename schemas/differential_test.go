package schemas_test

import (
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/schemas"
)

// The differential tests hold the compiled checker to gojsonschema, the
// reference: on every body they run both and require the same answer, the
// same (pointer, keyword) violations, and indeed the same violations field
// for field, so a report cannot tell which one ran.

// differ validates body both ways as an envelope, its data both ways against
// the operation's data schema, and the whole body against that data schema
// too (a body is rarely the shape of its data, so this walks the checker's
// violation paths).
func differ(t *testing.T, set *schemas.Set, what string, body []byte, fam, bizType string) {
	t.Helper()
	got, err := set.ValidateEnvelope(body)
	want, rerr := set.ReferenceEnvelope(body)
	same(t, what+" envelope", got, err, want, rerr)
	if bizType == "" {
		return
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &env) == nil {
		got, err = set.ValidateData(fam, bizType, env.Data)
		want, rerr = set.ReferenceData(fam, bizType, env.Data)
		same(t, what+" data", got, err, want, rerr)
	}
	if len(body) > 1<<20 {
		return // a huge body's third pass teaches nothing new
	}
	got, err = set.ValidateData(fam, bizType, body)
	want, rerr = set.ReferenceData(fam, bizType, body)
	same(t, what+" body as data", got, err, want, rerr)
}

func same(t *testing.T, what string, got []contract.Violation, err error, want []contract.Violation, rerr error) {
	t.Helper()
	if err != nil || rerr != nil {
		t.Errorf("%s: compiled error %v, reference error %v", what, err, rerr)
		return
	}
	if (len(got) == 0) != (len(want) == 0) {
		t.Errorf("%s: compiled valid=%v, reference valid=%v\ncompiled:  %v\nreference: %v", what, len(got) == 0, len(want) == 0, got, want)
		return
	}
	if g, w := pointerKeywords(got), pointerKeywords(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: (pointer, keyword) sets differ\ncompiled:  %v\nreference: %v", what, g, w)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: violations differ\ncompiled:  %+v\nreference: %+v", what, got, want)
	}
}

func pointerKeywords(vs []contract.Violation) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[v.Pointer+" "+v.Keyword] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Ensure the compiled checker and gojsonschema agree on the hand-picked
// corners of the subset: integer literals, escaped and hostile keys,
// redacted values, nullability, and bodies the strict scanner refuses.
func TestDifferentialCorners(t *testing.T) {
	set := mustLoad(t)
	const info = "customer.app.CustomerWebApiService.findCustomerInfo"
	const list = "config.app.AppSymbolDubboService.getSymbolBaseList"
	bodies := []string{
		`{"id":1.0,"customerNo":"1","kycStatus":1e2,"createTime":-0,"companyId":2.5}`,
		`{"id":"1176","email":12,"phone":true,"accountList":{"a":1}}`,
		`{"email":"alice@example.com","id":"x"}`,
		`{"email":["alice@example.com"],"phone":{"n":"+86 138 0013 8000"}}`,
		`{"accountList":[{"accountId":"a"},null,3,{"balance":1}]}`,
		`{"a/b~c":1,"\u0069d":"x","accountList":[{"currency":5}]}`,
		`{"id":1e-2000000}`,
		`{"id":9223372036854775808}`,
		`{"id":1,"id":"x"}`,
		"{\"msg\":\"\xff\"}",
		`[]`, `null`, `"str"`, `12`, ``, `   `, `{`, `{"a":1}x`, "\ufeff{}", `{"a":[1,2,]}`,
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		`[{"symbolId":"1","etf":"no","labels":7,"symbolCode":null}]`,
		`[{"symbolId":1}, [], "x", {"dividend":1.5}]`,
	}
	for i, b := range bodies {
		differ(t, set, fmt.Sprintf("corner %d (info)", i), []byte(b), "client", info)
		differ(t, set, fmt.Sprintf("corner %d (list)", i), []byte(b), "client", list)
	}
	envelopes := []string{
		`{"bizCode":"","code":"0","msg":"ok","tm":1,"trace":"t","msgParams":null,"data":null,"ok":true,"fail":false}`,
		`{"bizCode":1,"code":0,"msg":false,"tm":1.5,"trace":null,"msgParams":[],"ok":"true","fail":0}`,
		`{"code":"0","extra":{"deep":[1,2,{"x":null}]}}`,
		`{"bizCode":"","code":"0","msg":"ok","tm":1e3,"trace":"t","ok":true,"fail":false,"tm":"x"}`,
	}
	for i, b := range envelopes {
		differ(t, set, fmt.Sprintf("envelope %d", i), []byte(b), "client", info)
	}
}

// Ensure the two agree on every response example the vendor publishes.
func TestDifferentialVendorExamples(t *testing.T) {
	set := mustLoad(t)
	for _, sp := range vendorSpecs {
		t.Run(sp.file, func(t *testing.T) {
			ops := vendorOperations(t, sp.file, sp.family)
			n := 0
			for _, op := range ops {
				biz := op.Operation.BizType
				if _, ok := set.Operation(sp.family, biz); !ok {
					biz = ""
				}
				for i, ex := range op.Examples {
					n++
					differ(t, set, fmt.Sprintf("%s example %d", op.Operation.BizType, i), ex, sp.family, biz)
				}
			}
			if n == 0 {
				t.Fatal("no examples")
			}
			t.Logf("%d examples compared", n)
		})
	}
}

// simClient drives the simulator in process, through its handler.
type simClient struct {
	sim   *simulator.Simulator
	seq   int
	token string
}

const loginBiz = "customer.app.CustomerWebApiService.login"

func newSimClient(t testing.TB, opts simulator.Options) *simClient {
	t.Helper()
	opts.RatePerMinute = 1 << 20 // no 429s: every call is the operation's answer
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	c := &simClient{sim: sim}
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.login(), &env); err != nil || env.Data.Token == "" {
		t.Fatalf("simulator login failed: %v", err)
	}
	c.token = env.Data.Token
	return c
}

func (c *simClient) post(path, token, version, group, body string) []byte {
	c.seq++
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("companyId", simulator.DefaultCompanyID)
	r.Header.Set("trace", fmt.Sprintf("t-diff-%d", c.seq))
	r.Header.Set("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	r.Header.Set("lang", "en-US")
	r.Header.Set("version", version)
	if group != "" {
		r.Header.Set("group", group)
	}
	if token != "" {
		r.Header.Set("token", token)
	}
	w := httptest.NewRecorder()
	c.sim.ServeHTTP(w, r)
	b := w.Body.Bytes()
	return b[:min(len(b), 16<<20)] // the client's cap: a run reads no more
}

func (c *simClient) login() []byte {
	u := simulator.DefaultUser()
	return c.post("/api/login/"+loginBiz, "", "0.0.1", "",
		fmt.Sprintf(`{"type":1,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`, u.LoginName, fmt.Sprintf("%x", md5.Sum([]byte(u.Password)))))
}

// call sends the operation's minimal catalog request, as the suites do.
func (c *simClient) call(op schemas.Operation) []byte {
	return c.post("/api/global/"+op.BizType, c.token, op.Version, op.Group, string(op.Request))
}

// simulatorBodies collects every response of the simulator for every served
// operation in every scenario, plus, in the nominal scenario, every
// read-only operation it generates from a schema.
func simulatorBodies(t *testing.T, set *schemas.Set) (n int, each func(func(scenario, bizType string, body []byte))) {
	t.Helper()
	c := newSimClient(t, simulator.Options{Schemas: set, StallFor: time.Millisecond, SlowBodyInterval: time.Microsecond})
	var served []schemas.Operation
	for _, biz := range simulator.ServedOperations() {
		op, ok := set.Operation("client", biz)
		if !ok {
			t.Fatalf("served operation %s is not in the catalog", biz)
		}
		served = append(served, op)
	}
	var generated []schemas.Operation
	for _, op := range set.Operations("client") {
		if op.ReadOnly && op.Path == "global" && !containsOp(served, op.BizType) {
			generated = append(generated, op)
		}
	}
	scenarios := simulator.ScenarioNames()
	n = len(scenarios)*(len(served)+1) + len(generated)
	return n, func(f func(scenario, bizType string, body []byte)) {
		for _, sc := range scenarios {
			if err := c.sim.SetScenario(sc); err != nil {
				t.Fatal(err)
			}
			f(sc, loginBiz, c.login())
			ops := served
			if sc == "nominal" {
				ops = append(append([]schemas.Operation(nil), served...), generated...)
			}
			for _, op := range ops {
				f(sc, op.BizType, c.call(op))
			}
		}
	}
}

func containsOp(ops []schemas.Operation, bizType string) bool {
	for _, op := range ops {
		if op.BizType == bizType {
			return true
		}
	}
	return false
}

// Ensure the two agree on every simulator response of every scenario, the
// fault scenarios' bodies (HTML pages, truncated, invalid UTF-8, deep,
// duplicate keys, big integers, over the cap…) included.
func TestDifferentialSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs every scenario's bodies through gojsonschema")
	}
	set := mustLoad(t)
	n, each := simulatorBodies(t, set)
	got := 0
	huge := map[string]bool{} // scenarios whose over-cap body was compared
	each(func(sc, biz string, body []byte) {
		got++
		if len(body) > 1<<20 {
			// Every operation streams the same over-cap body: one
			// comparison per scenario is the same test, 17 times faster.
			if huge[sc] {
				return
			}
			huge[sc] = true
		}
		differ(t, set, sc+" "+biz, body, "client", biz)
		// The comparison must be of the checker, not of the reference
		// with itself: a well-formed body never falls back.
		if sc == "nominal" && !set.CheckedEnvelope(body) {
			t.Errorf("%s: the compiled checker fell back to the reference on a nominal body", biz)
		}
	})
	if got != n || n < 500 {
		t.Fatalf("compared %d bodies, want %d (at least 500)", got, n)
	}
	t.Logf("%d simulator bodies compared", got)
}

// fuzzCorpora are the fuzz corpora of the packages that read vendor bodies.
var fuzzCorpora = []string{
	"../internal/mmapi/testdata/fuzz/FuzzDecodeEnvelope",
	"../internal/redact/testdata/fuzz/FuzzJSON",
	"../runner/drift/testdata/fuzz/FuzzInfer",
	"testdata/fuzz/FuzzCompiledMatchesReference",
}

// corpusInputs reads the inputs of a fuzz corpus directory.
func corpusInputs(t testing.TB, dir string) [][]byte { return golden.CorpusInputs(t, dir) }

// probeOps are the data schemas every fuzz input is checked against: the
// simulated operations' (one of each shape: object, list, page, nested).
var probeOps = []string{
	"customer.app.CustomerWebApiService.findCustomerInfo",
	"config.app.AppSymbolDubboService.getSymbolBaseList",
	"config.app.AppSymbolDubboService.getSymbolDetail",
	"message.app.CompanyNoticeApiService.customerViewNoticePage",
	"tradeapi.app.PositionApiService.queryPositionPage",
	"config.app.AppDictDubboService.getListByParentCode",
}

// Ensure the two agree on every input of the fuzz corpora.
func TestDifferentialFuzzCorpora(t *testing.T) {
	set := mustLoad(t)
	total := 0
	for _, dir := range fuzzCorpora {
		inputs := corpusInputs(t, dir)
		total += len(inputs)
		for i, in := range inputs {
			for _, biz := range probeOps {
				differ(t, set, fmt.Sprintf("%s #%d", filepath.Base(dir), i), in, "client", biz)
			}
		}
	}
	if total < 20 {
		t.Fatalf("only %d corpus inputs found", total)
	}
	t.Logf("%d corpus inputs compared", total)
}

// FuzzCompiledMatchesReference runs the differential on generated bodies
// against a schema picked by op from every operation of every family.
func FuzzCompiledMatchesReference(f *testing.F) {
	set, err := schemas.Load()
	if err != nil {
		f.Fatal(err)
	}
	var ops []schemas.Operation
	for _, fam := range set.Families() {
		ops = append(ops, set.Operations(fam)...)
	}
	for _, b := range [][]byte{
		[]byte(`{"bizCode":"","code":"0","msg":"Success","tm":12,"trace":"t-1","msgParams":null,"ok":true,"fail":false,"data":{"id":1,"email":null}}`),
		[]byte(`{"id":"1","accountList":[{"accountId":1.5,"balance":2}],"email":"a@b.c"}`),
		[]byte(`[{"symbolId":1,"etf":false,"labels":"crypto"},{"symbolId":"x"}]`),
		[]byte(`{"records":[{"id":1}],"total":"3"}`),
	} {
		for i := range ops {
			if i%40 == 0 {
				f.Add(b, uint16(i))
			}
		}
	}
	for _, dir := range fuzzCorpora[:3] {
		for _, in := range corpusInputs(f, dir) {
			f.Add(in, uint16(0))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, pick uint16) {
		op := ops[int(pick)%len(ops)]
		differ(t, set, op.BizType, body, op.Family, op.BizType)
	})
}
