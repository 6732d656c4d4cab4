package schemas

import (
	"encoding/json"
	"strings"
)

// Operation is one catalog entry: everything a suite, the client or the
// simulator needs to call an operation, derived from the vendor's spec by the
// importer and stored in <family>/catalog.json.
type Operation struct {
	// Family is the API family: client, manager, auth2, webhook (the three
	// endpoints our user implements and the vendor calls), or openapi (the
	// Open API serves the client operations with apiKey signing and reuses
	// the client schemas).
	Family string `json:"family"`
	// BizType names the operation, e.g. customer.app.CustomerWebApiService.findCustomerInfo.
	// Operations the vendor publishes under a plain path (/thirdExt/now,
	// /auth2/code) use that path without its leading slash.
	BizType string `json:"bizType"`
	// Version is the "version" header, from the spec's "version=" line; "0.0.1" by default.
	Version string `json:"version"`
	// Group is the "group" header: "tradeApi" for tradeapi.* operations, else "".
	Group string `json:"group,omitempty"`
	// Path is the URL segment(s) between the family's base URL and the
	// bizType: "global", "cats-gateway/global" (the market-maker reports,
	// documented at /api/cats-gateway/global/), "login", "register",
	// "third/login", "auth", "h", or "" when the bizType sits directly under
	// the base (the manager API and plain-path operations). Callers must not
	// read "" as "global".
	Path string `json:"path"`
	// Login reports whether the operation needs a login token.
	Login bool `json:"login"`
	// Area is the functional area used as a Ginkgo label: customer, market,
	// funds, message, trade, index, credit-card, market-maker, settlement...
	Area string `json:"area"`
	// ReadOnly is true only for query/find/get/list/page/check verbs; never for
	// anything that creates, updates, deletes, transfers, trades, applies,
	// cancels, sends, binds or sets.
	ReadOnly bool `json:"readOnly"`
	// Tags are the vendor's tags, kept for reports and filtering.
	Tags []string `json:"tags"`
	// Request is a minimal valid request body: the required request fields
	// with deterministic placeholder values; {} when there are none. For a
	// GET operation it holds the query parameters.
	Request json.RawMessage `json:"request"`
	// HTTPMethod is the HTTP method when it is not POST: GET for the
	// Manager quote REST endpoints and /geoip/country.
	HTTPMethod string `json:"httpMethod,omitempty"`
	// Envelope names the response envelope the operation answers with:
	// "" for the vendor's standard one (envelope.json), EnvelopeQuote for
	// the quote service's {ret, msg, trace, data} (envelope-quote.json), or
	// EnvelopeBare for operations documented as answering with the data
	// object itself, or EnvelopeCodeOnly (envelope-code-only.json) for those
	// whose every example lacks ok and fail.
	Envelope string `json:"envelope,omitempty"`
	// Note says where the operation's definition comes from when that is
	// not the family's canonical spec (an operation only the CN Client spec
	// publishes).
	Note string `json:"note,omitempty"`
}

// ToleratedMarker starts the $comment of a schema node that accepts a type
// only because the vendor's documents disagree on it, e.g. "tolerated:
// object (the spec and seed say object, the login example an array)": the
// data check accepts it, and drift reports seeing it as a warning, so
// on-call learns which one the tenant sends. The type names, separated by
// "|", run up to the first space.
const ToleratedMarker = "tolerated: "

// CatsGatewayPath is the Path of the operations the spec documents under the
// cats-gateway mount, /api/cats-gateway/global/{bizType}.
const CatsGatewayPath = "cats-gateway/global"

// The response envelopes besides the standard one (Operation.Envelope).
const (
	// EnvelopeQuote is the quote service's {ret, msg, trace, data}, where
	// ret is an integer (200 is success).
	EnvelopeQuote = "quote"
	// EnvelopeBare is no envelope: the vendor documents the body as the
	// data object (the market-maker report operations). The check accepts
	// that bare object, and also the standard envelope around it, which
	// the gateway gives every other reply.
	EnvelopeBare = "bare"
	// EnvelopeCodeOnly is the standard envelope without ok and fail, where
	// success is code "0": what every example the vendor publishes for a
	// few credit-card operations shows (envelope-code-only.json). ok and
	// fail are still checked where they are sent.
	EnvelopeCodeOnly = "code-only"
)

// Method is the operation's method name, the last bizType segment
// (findCustomerInfo); suites use it as a label.
func (o Operation) Method() string {
	s := o.BizType
	if i := strings.LastIndexAny(s, "./"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// FileName is the data schema's file name inside its family directory, a
// function of the bizType alone: plain-path operations have "/" replaced by
// "_" so that every schema sits directly in the family directory.
func FileName(bizType string) string {
	return strings.ReplaceAll(bizType, "/", "_") + ".json"
}
