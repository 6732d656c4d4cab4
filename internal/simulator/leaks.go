package simulator

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Leak scenarios: responses that carry the logged-in customer's personal
// data in places where no JSON key marks it (a body cut short, an error page,
// a vendor msg) or vendor text that would control a terminal. They exist so
// the redaction tests can prove that nothing of it reaches an artifact; they
// use the customer of the request's token (or the first one), so the values
// are the test's canaries.
var leakScenarios = []scenarioDef{
	{Scenario: Scenario{Name: "truncated-90", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 whose JSON body ends at 90 % of its length, personal fields and all"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			b := s.render(env, nil)
			return b[:len(b)*9/10]
		}},
	{Scenario: Scenario{Name: "cut-near-end", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 whose JSON body lacks its last two bytes"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			b := s.render(env, nil)
			return b[:len(b)-2]
		}},
	{Scenario: Scenario{Name: "over-cap-profile", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "HTTP 200 with a 17 MiB JSON list of the customer's profile, over the client's 16 MiB cap"},
		serve: serveOverCapProfile},
	{Scenario: Scenario{Name: "html-profile", Kind: KindFault, ExpectedVerdict: verdict.Unavailable,
		Description: "HTTP 500 HTML error page that echoes the customer's profile in a table"},
		serve: serveProfilePage},
	{Scenario: Scenario{Name: "msg-pii", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "a vendor error whose msg and msgParams quote the customer's e-mail, phone and ID number"},
		serve: serveMsgPII},
	{Scenario: Scenario{Name: "hostile-code", Kind: KindFault, ExpectedVerdict: verdict.Broken,
		Description: "a vendor error whose code and msg hold ESC sequences and U+202E (right-to-left override)"},
		rewrite: func(s *Simulator, env *envelope) []byte {
			env.code, env.msg = HostileCode, "fail \x1b[2J\x1b[H\u202eok\u202c"
			env.ok, env.fail, env.data = false, true, nil
			return s.render(env, nil)
		}},
	{Scenario: Scenario{Name: "hostile-field", Kind: KindContract, ExpectedVerdict: verdict.Drifted, Pointer: "/data/" + HostileField,
		Description: "findCustomerInfo data gains a field whose name holds an ESC sequence and U+202E"},
		data: func(o obj) obj { return o.with(HostileField, "x") }},
}

// HostileCode and HostileField are the terminal-controlling vendor strings
// of the hostile-* scenarios.
const (
	HostileCode  = "E\x1b[2J\x1b]0;pwned\x07\u202e500"
	HostileField = "risk\x1b[31m\u202eLevel"
)

// customerOf returns the customer whose token the call carries, or the
// first one.
func (s *Simulator) customerOf(c *call) *customer {
	company := strings.TrimSpace(c.r.Header.Get("companyId"))
	if ss, ok := s.sessions.lookup(c.r.Header.Get("token"), company, c.started); ok {
		return ss.cust
	}
	return s.customers[0]
}

// serveOverCapProfile streams the customer's findCustomerInfo data over and
// over, past the client's cap.
func serveOverCapProfile(s *Simulator, w http.ResponseWriter, c *call) bool {
	cust := s.customerOf(c)
	block := append(append([]byte(nil), cust.infoJSON...), ',')
	for len(block) < 64<<10 {
		block = append(block, block...)
	}
	return streamOverCap(s, w, c, block, cust.infoJSON)
}

// serveProfilePage answers with the kind of debug error page a
// misconfigured server shows: the session's customer in an HTML table.
func serveProfilePage(s *Simulator, w http.ResponseWriter, c *call) bool {
	drainRequest(w, c)
	u := s.customerOf(c).User
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body>\n" +
		"<h1>Whitelabel Error Page</h1><p>NullPointerException in CustomerWebApiService for the session customer:</p>\n<table>\n")
	// The profile as findCustomerInfo (and login) carry it.
	for _, f := range [][2]string{{"email", u.Email}, {"phone", u.PhoneArea + " " + u.Phone}, {"name", u.Name},
		{"firstName", u.FirstName}, {"lastName", u.LastName}, {"idCard", u.IDCard}, {"postalCode", u.PostalCode},
		{"country", u.Country}} {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>\n", f[0], html.EscapeString(f[1]))
	}
	b.WriteString("</table></body></html>\n")
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(b.String()))
	return true
}

// serveMsgPII answers with a business error whose msg quotes the customer,
// as some vendor error paths do.
func serveMsgPII(s *Simulator, w http.ResponseWriter, c *call) bool {
	drainRequest(w, c)
	u := s.customerOf(c).User
	env := &envelope{bizCode: bizCustomer, code: "CUSTOMER_API_0000150", trace: c.trace, data: c.route.bizType, fail: true,
		msg: fmt.Sprintf("user %s (phone %s, ID number %s) is locked", u.Email, u.Phone, u.IDCard)}
	body := s.render(env, nil)
	params := appendJSON(nil, []any{u.Email, u.Phone, u.IDCard})
	body = []byte(strings.Replace(string(body), `"msgParams":null`, `"msgParams":`+string(params), 1))
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return true
}

// drainRequest reads the request body, as the vendor's servers do before
// answering (see serveStall).
func drainRequest(w http.ResponseWriter, c *call) {
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, c.r.Body, maxRequestBody))
}
