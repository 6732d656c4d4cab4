package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Scenario kinds.
const (
	KindNominal  = "nominal"  // the vendor behaving as documented
	KindContract = "contract" // findCustomerInfo's response drifts; the transport is fine
	KindFault    = "fault"    // every /global/ request meets an infrastructure fault; login does not (outages: see scenarioDef.outage)
	KindTrade    = "trade"    // the trading book misbehaves; the read-only operations are nominal
	// KindWebsocket scenarios change a websocket (Scenario.Label names the
	// specs they reach); every HTTP route stays nominal.
	KindWebsocket = "websocket"
)

// Scenario describes one named behaviour of the simulator. End-to-end tests
// table-drive from Scenarios(): run the suites against each and expect
// ExpectedVerdict, naming Pointer for contract scenarios.
type Scenario struct {
	Name            string
	Kind            string // KindNominal, KindContract or KindFault
	Description     string
	ExpectedVerdict verdict.Verdict // the run's overall verdict
	Pointer         string          // JSON pointer the verdict names (contract and trade scenarios)
	Step            string          // the lifecycle step that fails (trade scenarios)
	// Filter is the label filter of the run that shows the verdict; ""
	// means findCustomerInfo's positive specs, where the contract and fault
	// scenarios act.
	Filter string
	// Label is the label filter that selects the checks a websocket
	// scenario reaches, e.g. "websocket && quote && !slow".
	Label string
}

// scenarioDef is a Scenario with its behaviour. Exactly the hooks a scenario
// needs are set:
//   - data and envelope alter findCustomerInfo's successful response
//     (contract scenarios);
//   - serve takes over a /global/ request before the gateway sees it and
//     reports whether it answered (transport faults; false = carry on);
//   - rewrite renders every /global/ envelope, success or error (body faults).
type scenarioDef struct {
	Scenario
	data     func(obj) obj
	envelope func(s *Simulator, env *envelope)
	serve    func(s *Simulator, w http.ResponseWriter, c *call) bool
	rewrite  func(s *Simulator, env *envelope) []byte
	// trade makes the trading book misbehave (the trade- scenarios).
	trade tradeFaults
	// quote changes the quote sockets (websocket scenarios).
	quote *quoteFault
	// outage marks a fault of the whole vendor (its load balancer, WAF or
	// rate limiter), which the signed Open API and Manager API routes meet
	// too: a total outage must not leave two families answering.
	outage bool
}

// bigInt is an integer beyond int64 (and beyond float64's exact range).
const bigInt = "99999999999999999999"

// registry is the only list of scenarios: validation, Scenarios() and the
// CLI's help derive from it. Order is the documentation order; the leak
// scenarios (leaks.go) come last.
var registry = append([]scenarioDef{
	{Scenario: Scenario{Name: "nominal", Kind: KindNominal, ExpectedVerdict: verdict.Pass,
		Description: "the vendor as documented"}},

	// Contract scenarios: findCustomerInfo only.
	{Scenario: Scenario{Name: "added-field", Kind: KindContract, ExpectedVerdict: verdict.Drifted, Pointer: "/data/riskLevel",
		Description: "findCustomerInfo data gains an undocumented string field riskLevel (info drift)"},
		data: func(o obj) obj { return o.with("riskLevel", "R3") }},
	{Scenario: Scenario{Name: "removed-field", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/data/customerNo",
		Description: "findCustomerInfo data loses the required customerNo"},
		data: func(o obj) obj { return o.without("customerNo") }},
	{Scenario: Scenario{Name: "type-change", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/data/id",
		Description: "findCustomerInfo data.id becomes a string"},
		data: func(o obj) obj {
			v, _ := o.get("id")
			return o.with("id", fmt.Sprint(v))
		}},
	{Scenario: Scenario{Name: "null-field", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/data/id",
		Description: "findCustomerInfo data.id is null, which the schema forbids"},
		data: func(o obj) obj { return o.with("id", nil) }},
	{Scenario: Scenario{Name: "code-number", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/code",
		Description: `findCustomerInfo envelope code is the number 0 instead of the string "0"`},
		envelope: func(_ *Simulator, env *envelope) { env.codeNumber = true }},
	{Scenario: Scenario{Name: "ok-fail-mismatch", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/fail",
		Description: "findCustomerInfo envelope says ok=true and fail=true"},
		envelope: func(_ *Simulator, env *envelope) { env.fail = true }},
	{Scenario: Scenario{Name: "trace-not-echoed", Kind: KindContract, ExpectedVerdict: verdict.Broken, Pointer: "/trace",
		Description: "findCustomerInfo envelope carries a server-made trace instead of the request's"},
		envelope: func(s *Simulator, env *envelope) { env.trace = s.serverTrace() }},
	{Scenario: Scenario{Name: "enum-added", Kind: KindContract, ExpectedVerdict: verdict.Drifted, Pointer: "/data/status",
		Description: "findCustomerInfo data.status takes the undocumented value 7 (warning drift)"},
		data: func(o obj) obj { return o.with("status", 7) }},
	{Scenario: Scenario{Name: "accountlist-object", Kind: KindContract, ExpectedVerdict: verdict.Drifted, Pointer: "/data/accountList",
		Description: "findCustomerInfo data.accountList is {}, as the spec and seed page show, not the login example's array (accepted, warning drift)"},
		data: func(o obj) obj { return o.with("accountList", obj{}) }},

	// Fault scenarios: every /global/ request, never login.
	{Scenario: Scenario{Name: "http-500", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 500 with an HTML error page"},
		serve:  statusPage(http.StatusInternalServerError, "text/html", nginxPage("500 Internal Server Error")),
		outage: true},
	{Scenario: Scenario{Name: "http-502", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 502 from the load balancer"},
		serve:  statusPage(http.StatusBadGateway, "text/html", nginxPage("502 Bad Gateway")),
		outage: true},
	{Scenario: Scenario{Name: "http-503", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 503 from the load balancer"},
		serve:  statusPage(http.StatusServiceUnavailable, "text/html", nginxPage("503 Service Temporarily Unavailable")),
		outage: true},
	{Scenario: Scenario{Name: "http-504", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 504 from the load balancer"},
		serve:  statusPage(http.StatusGatewayTimeout, "text/html", nginxPage("504 Gateway Time-out")),
		outage: true},
	{Scenario: Scenario{Name: "waf-403", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 403 HTML page from a web application firewall"},
		serve:  statusPage(http.StatusForbidden, "text/html; charset=utf-8", wafPage),
		outage: true},
	{Scenario: Scenario{Name: "ban-418", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 418: the client's IP is banned for ignoring 429s"},
		serve:  statusPage(http.StatusTeapot, "text/html; charset=utf-8", banPage),
		outage: true},
	{Scenario: Scenario{Name: "non-json", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 with an HTML body"},
		serve: statusPage(http.StatusOK, "text/html; charset=utf-8", maintenancePage)},
	{Scenario: Scenario{Name: "empty-200", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200, JSON content type, empty body"},
		serve: statusPage(http.StatusOK, "application/json;charset=UTF-8", "")},
	{Scenario: Scenario{Name: "truncated-json", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 whose JSON body stops halfway (Content-Length matches the cut body)"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			b := s.render(env, nil)
			return b[:len(b)/2]
		}},
	{Scenario: Scenario{Name: "stall", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "no response headers until the client gives up or StallFor passes (then a normal answer)"},
		serve:  serveStall,
		outage: true},
	{Scenario: Scenario{Name: "slow-body", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "headers at once, then the normal body 8 bytes per SlowBodyInterval"},
		serve: serveSlowBody},
	{Scenario: Scenario{Name: "rate-limit", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 429 with Retry-After: 1 on every request"},
		serve:  serveRateLimited(true),
		outage: true},
	{Scenario: Scenario{Name: "rate-limit-no-retry-after", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 429 without Retry-After on every request"},
		serve:  serveRateLimited(false),
		outage: true},
	{Scenario: Scenario{Name: "redirect-off-host", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 307 to the same path on another host (RedirectTo)"},
		serve: serveRedirect},
	{Scenario: Scenario{Name: "over-cap", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 with a valid 17 MiB JSON envelope, streamed without Content-Length"},
		serve: serveOverCap},
	{Scenario: Scenario{Name: "invalid-utf8", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "the envelope's msg contains bytes that are not UTF-8"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			msg := jsontok.AppendString(nil, env.msg)
			msg = append(msg[1:len(msg)-1:len(msg)-1], 0xff, 0xfe, 0xfd)
			return s.render(env, msg)
		}},
	{Scenario: Scenario{Name: "deep-json", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "data is 10,000 nested arrays"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			env.data = rawJSON(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))
			return s.render(env, nil)
		}},
	{Scenario: Scenario{Name: "duplicate-keys", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "the envelope repeats ok with the opposite value, so first-wins and last-wins parsers disagree"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			b := s.render(env, nil)
			b = append(b[:len(b)-1], `,"ok":`...)
			b = strconv.AppendBool(b, !env.ok)
			return append(b, '}')
		}},
	{Scenario: Scenario{Name: "big-int", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "data.id (or the first item's id) is " + bigInt + ", beyond int64"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			env.data = withBigID(env.data)
			return s.render(env, nil)
		}},
	{Scenario: Scenario{Name: "reset-mid-body", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "headers and half the body, then the connection is reset"},
		serve: serveReset},
}, slices.Concat(leakScenarios, auth2Scenarios, gatewayScenarios, tradeScenarios, wsQuoteScenarios, openMsgScenarios, managerPushScenarios, quoteScenarios)...)

// quoteLabel selects the quote socket's checks of the default suite.
const quoteLabel = "websocket && quote && !slow"

// wsQuoteScenarios change the quote sockets; Pointer is where in a frame
// (or its parsed push object) the check that fails points, "" for a
// connection-level failure.
var wsQuoteScenarios = []scenarioDef{
	{Scenario: Scenario{Name: "ws-heartbeat-unanswered", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Pointer: "/cmd_id", Label: quoteLabel,
		Description: "the quote socket never answers a heartbeat (14008)"},
		quote: &quoteFault{noHeartbeat: true}},
	{Scenario: Scenario{Name: "ws-pushes-stop", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Pointer: "/frame", Label: quoteLabel,
		Description: "the quote socket acknowledges subscriptions but sends no pushes"},
		quote: &quoteFault{pushesStop: true}},
	{Scenario: Scenario{Name: "ws-sequence-gap", Kind: KindWebsocket, ExpectedVerdict: verdict.Drifted, Pointer: "/data/seq", Label: quoteLabel,
		Description: "every third quote push skips a sequence number (sequence_gap drift)"},
		quote: &quoteFault{seqGap: true}},
	{Scenario: Scenario{Name: "ws-price-number", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Pointer: "/data/tick_list/0/price", Label: quoteLabel,
		Description: "the 14001 ack's prices are JSON numbers instead of decimal strings"},
		quote: &quoteFault{priceNumber: true}},
	{Scenario: Scenario{Name: "ws-new-field", Kind: KindWebsocket, ExpectedVerdict: verdict.Drifted, Pointer: "/data/tick_list/*/price_change", Label: quoteLabel,
		Description: "each tick of the 14001 ack gains an undocumented field price_change (info drift)"},
		quote: &quoteFault{newField: true}},
	{Scenario: Scenario{Name: "ws-server-closes", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Label: quoteLabel,
		Description: "the quote socket closes every connection after QuoteCloseAfter (300ms) although heartbeats flow"},
		quote: &quoteFault{closeAfter: true}},
	{Scenario: Scenario{Name: "ws-non-json", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Label: quoteLabel,
		Description: "the 14001 ack is an HTML text frame"},
		quote: &quoteFault{nonJSONAck: true}},
	{Scenario: Scenario{Name: "ws-over-cap", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Label: quoteLabel,
		Description: "the 14001 ack is a text frame over the client's 1 MiB cap"},
		quote: &quoteFault{overCapAck: true}},
	{Scenario: Scenario{Name: "ws-bad-deflate", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Label: quoteLabel,
		Description: "the K-line answer is a binary frame that does not inflate"},
		quote: &quoteFault{badDeflate: true}},
	{Scenario: Scenario{Name: "ws-compression-bomb", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Label: quoteLabel,
		Description: "the K-line answer is a 64 KB binary frame that inflates to 64 MiB"},
		quote: &quoteFault{bomb: true}},
	{Scenario: Scenario{Name: "ws-silent", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Pointer: "/cmd_id", Label: quoteLabel,
		Description: "the quote socket completes the handshake and then sends nothing"},
		quote: &quoteFault{silent: true}},
	{Scenario: Scenario{Name: "ws-pii", Kind: KindWebsocket, ExpectedVerdict: verdict.Broken, Pointer: "/ext", Label: quoteLabel,
		Description: "every quote answer's msg quotes the customer's e-mail, phone and ID number, and its ext is the session token (or the e-mail)"},
		quote: &quoteFault{pii: true}},
	{Scenario: Scenario{Name: "ws-handshake-stall", Kind: KindWebsocket, ExpectedVerdict: verdict.Unavailable, Label: quoteLabel,
		Description: "the quote socket never answers the websocket upgrade"},
		quote: &quoteFault{handshakeStall: true}},
}

// registryIndex maps a name to its registry entry.
var registryIndex = func() map[string]*scenarioDef {
	m := make(map[string]*scenarioDef, len(registry))
	for i := range registry {
		m[registry[i].Name] = &registry[i]
	}
	return m
}()

// Scenarios lists every scenario in documentation order.
func Scenarios() []Scenario {
	out := make([]Scenario, len(registry))
	for i, d := range registry {
		out[i] = d.Scenario
	}
	return out
}

// ScenarioNames lists every scenario name, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(registry))
	for _, d := range registry {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}

// SetScenario switches the running simulator to the named scenario ("" means
// nominal). It is safe to call while requests are being served; requests
// already past the scenario check finish under the old one.
func (s *Simulator) SetScenario(name string) error {
	if name == "" {
		name = "nominal"
	}
	d, ok := registryIndex[name]
	if !ok {
		return fmt.Errorf("unknown scenario %q (valid: %s)", name, strings.Join(ScenarioNames(), ", "))
	}
	s.scenario.Store(d)
	return nil
}

// Scenario returns the current scenario.
func (s *Simulator) Scenario() Scenario { return s.scenario.Load().Scenario }

func nginxPage(title string) string {
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

const wafPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>403 Forbidden</title></head>
<body><h1>Access denied</h1>
<p>Your request was blocked by the web application firewall.</p>
<p>Event ID: sim-waf-0001</p></body></html>
`

const banPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>418</title></head>
<body><h1>IP banned</h1><p>Too many requests after HTTP 429. Try again later.</p></body></html>
`

const maintenancePage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Maintenance</title></head>
<body><h1>System maintenance</h1><p>The service will be back shortly.</p></body></html>
`

// statusPage answers with a fixed status and body.
func statusPage(status int, contentType, body string) func(*Simulator, http.ResponseWriter, *call) bool {
	return func(_ *Simulator, w http.ResponseWriter, _ *call) bool {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
}
