package mmapi

import (
	"errors"
	"fmt"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/signing"
)

// Vendor gateway codes the client and the suites act on.
const (
	// CodeTokenMissing is the gateway's answer to a call without a token.
	CodeTokenMissing = "GATEWAY_CODE_001"
	// CodeTokenExpired is the gateway's answer to an unknown or expired token.
	CodeTokenExpired = "GATEWAY_CODE_005"
	// CodeLoginExpired is the gateway's other "login info is expired" code.
	CodeLoginExpired = "GATEWAY_CODE_017"
	// CodeHeaderMissing is the gateway's answer to a request without a
	// required header (the timestamp, for its replay window).
	CodeHeaderMissing = "GATEWAY_CODE_009"
	// CodeRequestExpired is the gateway's answer to a request whose
	// timestamp is outside its time window (recvWindow, 5000 ms).
	CodeRequestExpired = "GATEWAY_CODE_014"
)

// ErrNoCredentials is returned when a call needs a token and the
// configuration holds neither a token nor credentials to obtain one.
var ErrNoCredentials = errors.New("no credentials: set MM_LOGIN_NAME and MM_LOGIN_PASSWORD, or MM_TOKEN")

// VendorError is a well-formed vendor envelope whose ok is false. Specs match
// on its codes; it is neither "broken" nor "unavailable" by itself.
type VendorError struct {
	BizCode    string
	Code       string
	Msg        string
	Trace      string
	HTTPStatus int
}

func (e *VendorError) Error() string {
	s := fmt.Sprintf("vendor error %s/%s", e.BizCode, e.Code)
	if e.Msg != "" {
		s += ": " + oneline.Collapse(e.Msg, 200)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != 200 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	return s
}

// OutsideWindow reports whether the vendor refused the request's
// timestamp: outside the gateway's time window, or the Open API's
// (00012002). A client that sends the clock's time can only meet it when
// its host's clock is wrong.
func (e *VendorError) OutsideWindow() bool {
	return e.Code == CodeRequestExpired || e.Code == string(signing.CodeOutsideWindow)
}

// TokenExpired reports whether the vendor rejected the token as unknown or
// expired, the two codes after which a fresh login is worth one try.
func (e *VendorError) TokenExpired() bool {
	return e.Code == CodeTokenExpired || e.Code == CodeLoginExpired
}

// UnavailableError means the vendor could not be asked: a transport failure,
// a timeout, a 5xx, a WAF or ban page, 429 after waiting, or a redirect off
// the target host. Reason is one line, fit for results.json.
type UnavailableError struct {
	Reason     string
	HTTPStatus int
	Err        error
	// Timeout marks a request that got no complete answer within the
	// request timeout; the Breaker counts these across families.
	Timeout bool
}

func (e *UnavailableError) Error() string { return "vendor unavailable: " + e.Reason }

// Unwrap exposes the underlying transport error for errors.Is checks such as
// context.DeadlineExceeded.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ContractError means the vendor answered but not with a decodable envelope:
// the contract is broken. Reason is one line, fit for results.json.
type ContractError struct {
	Reason string
	// HTTPStatus is set when a status other than 200 came without an
	// envelope, e.g. a 404 page from a server that is not the gateway.
	HTTPStatus int
}

func (e *ContractError) Error() string { return "contract broken: " + e.Reason }
