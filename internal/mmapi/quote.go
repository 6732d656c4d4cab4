package mmapi

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// quoteRequest builds a Quote operation's URL and body for one attempt. The
// quote service reads its trace from the request (the body's "trace"), not
// from the trace header, and echoes it; so the body's trace is the
// attempt's, and the envelope invariants can hold the echo to it. The
// token travels as the "token" query parameter, as the vendor documents.
func quoteRequest(base string, body []byte, trace, token string, inQuery bool) (string, []byte, error) {
	fields := map[string]json.RawMessage{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &fields); err != nil {
			return "", nil, fmt.Errorf("quote request body: want a JSON object: %w", err)
		}
	}
	tr, err := json.Marshal(trace)
	if err != nil {
		return "", nil, err
	}
	fields["trace"] = tr
	if body, err = json.Marshal(fields); err != nil {
		return "", nil, err
	}
	q := url.Values{}
	if token != "" {
		q.Set("token", token)
	}
	if inQuery {
		q.Set("query", string(body))
		body = nil
	}
	if len(q) > 0 {
		base += "?" + q.Encode()
	}
	return base, body, nil
}
