// Package webhook verifies a user's implementation of the vendor's Webhook
// API the way the vendor calls it: Pact's provider verification, for this
// vendor. The Webhook API is implemented by the integrator (our user) and
// called by the vendor to settle trades against an external wallet
// (NOTES §7.1); `mmcontract webhook verify --url URL` registers these specs
// and runs them once, as Ginkgo specs, so that results.json, junit.xml and
// report.html come out exactly as `mmcontract run` writes them.
//
// Each spec calls the user's endpoints with the vendor's headers and checks
// every reply it gets: answered within the vendor's 3 s deadline, HTTP 200,
// the envelope and data schemas (suites/check, the run's one mechanism) and
// the envelope invariants (suites.Invariants). On top of that each spec
// checks one documented rule: an open takes the amount and a NORMAL_CLOSE
// adds it back, idempotency by requestUniqueNo, the cancel codes, negative
// amounts, unknown bizTypes, each judged by the balance the user's own
// get-user-amount reports before and after. A receiver that refuses the
// first get-user-amount does not know the test account: that is the flags'
// fault, the run's config verdict (verdict.UnknownTestAccount), and no more
// calls are made.
//
// The adjustments move real money on a real system, so the mutating specs
// run only against a receiver on loopback or with AllowMutations, and every
// adjustment a spec makes is cancelled again when the spec ends.
package webhook

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/suites/check"
)

// Family is the API family of every check this package makes, in
// results.json, JUnit and the HTML report.
const Family = "webhook"

// Deadline is how long the vendor waits for an answer: past it, it treats
// an adjustment as failed, cancels it and sends the cancel call (NOTES §7.1,
// §8).
const Deadline = 3 * time.Second

// Endpoint is one operation of the Webhook API.
type Endpoint struct {
	Path string // relative to the receiver's base URL
	Name string // the operation's name in reports and labels
}

// The three endpoints the integrator implements.
var (
	UserAmount = Endpoint{Path: "/get-user-amount", Name: "get-user-amount"}
	Adjust     = Endpoint{Path: "/external-system-credit-limit-adjustment", Name: "external-system-credit-limit-adjustment"}
	Cancel     = Endpoint{Path: "/cancel-external-system-credit-limit-adjustment", Name: "cancel-external-system-credit-limit-adjustment"}
)

// Endpoints are the three endpoints in documentation order.
var Endpoints = []Endpoint{UserAmount, Adjust, Cancel}

// schemaOf is where the schema tree keeps an endpoint's data schema: the one
// place that knows it, so that moving the Webhook operations into their own
// family is a one-line change here.
func schemaOf(e Endpoint) (family, bizType string) { return Family, e.Name }

// The cancel call's documented answers (NOTES §7.1, §9).
const (
	CodeNotProcessed  = "US_0000001" // the original was received but not processed
	CodeNeverReceived = "US_0000002" // the original was never received
)

// codeSuccess is the envelope's success code.
const codeSuccess = "0"

// Operation types of an adjustment the checks send (NOTES §7.1): an open
// takes its amount from the balance, a close gives it back.
const (
	OpenPosition        = "OPEN_POSITION"
	NormalClose         = "NORMAL_CLOSE"
	AbnormalOvertrading = "ABNORMAL_OVERTRADING" // the only one with a negative amount
)

// bizTypeMarketOpen and bizTypeMarketClose are the adjustment's bizTypes
// for a market order opening and closing a position; bizTypeUndocumented
// is one the vendor never sends (the documented ones are 1, 2, 10, 11 and
// 12).
const (
	bizTypeMarketOpen   = 1
	bizTypeMarketClose  = 2
	bizTypeUndocumented = 99
)

// Config is everything the specs depend on; the runner builds it.
type Config struct {
	// URL is the receiver's base URL; the endpoints' paths are appended.
	URL *url.URL
	// HTTP is the client the calls go through (proxies, TLS).
	HTTP *http.Client
	// CompanyID is the companyId header.
	CompanyID string
	// UserName, Currency and ThirdServerCode name the test account at the
	// receiver; it must exist there (a demo account: the mutating specs move
	// Amount in and out of it).
	UserName, Currency, ThirdServerCode string
	// Amount is the positive decimal each adjustment moves, e.g. "1.00".
	Amount string
	// AllowMutations lets the mutating specs run against a receiver that is
	// not on loopback.
	AllowMutations bool
	Schemas        check.Schemas
	Redactor       *redact.Redactor
	// Now is the clock for timestamps and request ids. Default time.Now.
	Now func() time.Time
}

// Loopback reports whether u names this machine: a loopback IP or
// "localhost". Only such a receiver may be changed without AllowMutations.
func Loopback(u *url.URL) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
