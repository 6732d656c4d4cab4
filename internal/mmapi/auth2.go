package mmapi

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The Auth2 API (the vendor's "Auth2Api" spec) lets a third-party system
// sign a platform customer in: a code the customer grants (POST
// /auth2/code, with the customer's Client API token), exchanged with the
// app's id and secret for an access and a refresh token (/auth2/token),
// the customer's identity for the access token (/auth2/user), and a new
// token pair for the refresh token (/auth2/refresh). The vendor's page
// starts with a browser step that merely shows the customer a consent
// page before calling /auth2/code for them; the harness calls /auth2/code
// itself, with the run's own login, and never opens a browser.

// auth2Mount is the Auth2 API's mount under the server root, from the
// server URL of the vendor's spec (…/cats-gateway-auth2).
const auth2Mount = "/cats-gateway-auth2"

// auth2Path is the path segment every Auth2 step sits under.
const auth2Path = "auth2"

// The Auth2 steps, the last segment of each path.
const (
	Auth2Code    = "code"
	Auth2Token   = "token"
	Auth2User    = "user"
	Auth2Refresh = "refresh"
)

// Auth2Operation is the Auth2 step named by step (Auth2Code, ...).
func Auth2Operation(step string) Operation {
	return Operation{Family: FamilyAuth2, BizType: step, Path: auth2Path}
}

// auth2Step normalises an Auth2 operation: the catalog names the steps by
// their plain path ("auth2/code", schemas.Operation.BizType), the URL
// wants the segments apart.
func (op Operation) auth2Step() Operation {
	if op.Path == "" || op.Path == "global" {
		op.Path = auth2Path
	}
	op.BizType = strings.TrimPrefix(op.BizType, auth2Path+"/")
	return op
}

// auth2NeedsClientToken reports whether the step carries the customer's
// Client API token: /auth2/code, which the customer grants, and
// /auth2/refresh, whose spec lists the token header as required too.
func auth2NeedsClientToken(op Operation) bool {
	return op.BizType == Auth2Code || op.BizType == Auth2Refresh
}

// familyKey is the request context key of the family a request belongs to.
type familyKey struct{}

// FamilyOf is the API family of a request the client built, "" for one it
// did not: a transport that treats families differently (the encrypted
// mode, which the Auth2 API does not speak) asks it.
func FamilyOf(r *http.Request) Family {
	f, _ := r.Context().Value(familyKey{}).(Family)
	return f
}

// plainKey marks, in a request's context, a request of a service that
// speaks no encrypted mode though its family does (the quote REST
// endpoints of the Manager family).
type plainKey struct{}

// PlainOnly reports whether r must go out unencrypted even in the
// encrypted mode: the Auth2 API and the Manager quote REST endpoints
// document none.
func PlainOnly(r *http.Request) bool {
	plain, _ := r.Context().Value(plainKey{}).(bool)
	return plain || FamilyOf(r) == FamilyAuth2
}

// companyHeader is the header that names the company: the Auth2 API reads
// company, every other family companyId.
func companyHeader(f Family) string {
	if f == FamilyAuth2 {
		return "company"
	}
	return "companyId"
}

// learnAuth2 teaches the redactor the authorization code /auth2/code
// returns: it is a bare string in data, which no sensitive key marks, and
// it is a credential until it is exchanged. The tokens of the other steps
// sit under accessToken and refreshToken, which LearnBody already knows.
func (c *Client) learnAuth2(op Operation, ex *Exchange, err error) {
	if op.Family != FamilyAuth2 || op.BizType != Auth2Code || err != nil || ex == nil || ex.Envelope == nil {
		return
	}
	var code string
	if json.Unmarshal(ex.Envelope.Data, &code) == nil {
		c.red.Learn(code)
	}
}
