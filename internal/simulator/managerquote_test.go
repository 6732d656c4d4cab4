package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// managerToken authenticates the harness's Manager demo app.
func (h *harness) managerToken() string {
	h.t.Helper()
	demo, err := h.sim.Demo()
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"appId": demo.AppID, "appSecret": demo.AppSecret})
	env := h.do(req{path: "/openapi-b/auth/" + managerAuthBiz, body: string(body)}).envelope(h.t)
	data, _ := env["data"].(map[string]any)
	tok, _ := data["token"].(string)
	if tok == "" {
		h.t.Fatalf("manager auth: %v", env)
	}
	return tok
}

// quoteGet calls a quote REST endpoint with token and query parameters.
func (h *harness) quoteGet(path, token, query, body string) map[string]any {
	h.t.Helper()
	v := url.Values{}
	if token != "" {
		v.Set("token", token)
	}
	if query != "" {
		v.Set("query", query)
	}
	rep := h.do(req{method: http.MethodGet, path: path + "?" + v.Encode(), body: body})
	var env map[string]any
	if err := json.Unmarshal(rep.body, &env); err != nil {
		h.t.Fatalf("%s: %v: %s", path, err, rep.body)
	}
	return env
}

// Ensure the eight Manager quote REST endpoints answer the quote envelope
// with data valid against their schemas, echo the query's trace, quote the
// requested symbols only on their service, refuse a missing or unknown
// token (401), a POST (405) and, with CheckRequests, a request without its
// query (400 naming the pointer); and that the quote-rest-ret-string
// scenario sends ret as a string.
func TestManagerQuoteREST(t *testing.T) {
	set := loadSchemas(t)
	h := newHarness(t, Options{Schemas: set, CheckRequests: true})
	tok := h.managerToken()
	var fx, stock string
	for _, sym := range h.sim.symbols {
		if sym.tradeType == tradeStock && stock == "" {
			stock = sym.code
		} else if sym.tradeType != tradeStock && fx == "" {
			fx = sym.code
		}
	}
	tick := func(code string) string {
		return `{"trace":"q-trace-1","data":{"symbol_list":[{"code":"` + code + `"},{"code":"NOPE"}]}}`
	}
	kline := func(code string) string {
		return `{"trace":"q-trace-1","data":{"code":"` + code + `","kline_type":2,"kline_timestamp_end":0,"query_kline_num":3,"adjust_type":0}}`
	}
	batch := func(code string) string {
		return `{"trace":"q-trace-1","data":{"data_list":[{"code":"` + code + `","kline_type":1,"kline_timestamp_end":0,"query_kline_num":2,"adjust_type":0}]}}`
	}
	for _, svc := range []struct{ service, code string }{{quoteServiceFX, fx}, {quoteServiceStock, stock}} {
		for _, tt := range []struct {
			endpoint, query, body string
			items                 string
			want                  int
		}{
			{quoteDepthTick, tick(svc.code), "", "tick_list", 1},
			{quoteTradeTick, tick(svc.code), "", "tick_list", 1},
			{quoteKline, kline(svc.code), "", "kline_list", 3},
			{quoteBatchKline, "", batch(svc.code), "kline_list", 2},
		} {
			biz := svc.service + "/" + tt.endpoint
			t.Run(biz, func(t *testing.T) {
				env := h.quoteGet("/openapi-b/"+biz, tok, tt.query, tt.body)
				if env["ret"] != float64(quoteRetOK) || env["trace"] != "q-trace-1" {
					t.Fatalf("ret %v trace %v: %v", env["ret"], env["trace"], env)
				}
				raw, _ := json.Marshal(env)
				if vs, err := set.ValidateEnvelopeOf("manager", biz, raw); err != nil || len(vs) > 0 {
					t.Errorf("envelope: %v %v", err, vs)
				}
				data, _ := json.Marshal(env["data"])
				if vs, err := set.ValidateData("manager", biz, data); err != nil || len(vs) > 0 {
					t.Errorf("data %s: %v %v", data, err, vs)
				}
				list, _ := env["data"].(map[string]any)[tt.items].([]any)
				if len(list) != tt.want {
					t.Errorf("%d %s, want %d: %s", len(list), tt.items, tt.want, data)
				}
			})
		}
	}
	// A forex code is not quoted by the stock service.
	env := h.quoteGet("/openapi-b/"+quoteServiceStock+"/"+quoteDepthTick, tok, tick(fx), "")
	if list := env["data"].(map[string]any)["tick_list"].([]any); len(list) != 0 {
		t.Errorf("stock service quoted %s: %v", fx, list)
	}
	depth := "/openapi-b/" + quoteServiceFX + "/" + quoteDepthTick
	for _, tt := range []struct {
		name, token, query string
		ret                int
		msg                string
	}{
		{"no token", "", tick(fx), quoteRetBadParams, "/token required"},
		{"unknown token", "00000000-0000-4000-8000-000000000000admin", tick(fx), quoteRetBadToken, "token"},
		{"no query", tok, "", quoteRetBadParams, "/query required"},
	} {
		env := h.quoteGet(depth, tt.token, tt.query, "")
		if env["ret"] != float64(tt.ret) || !strings.Contains(env["msg"].(string), tt.msg) {
			t.Errorf("%s: ret %v msg %v, want %d naming %q", tt.name, env["ret"], env["msg"], tt.ret, tt.msg)
		}
	}
	rep := h.do(req{path: depth + "?token=" + url.QueryEscape(tok) + "&query=" + url.QueryEscape(tick(fx))})
	if !strings.Contains(string(rep.body), `"ret":`+strconv.Itoa(quoteRetBadMethod)) {
		t.Errorf("POST: %s", rep.body)
	}
	h.setScenario(scenarioQuoteRetString)
	env = h.quoteGet(depth, tok, tick(fx), "")
	if env["ret"] != "200" {
		t.Errorf("%s: ret %v, want the string 200", scenarioQuoteRetString, env["ret"])
	}
}
