package signing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// MaxBodyBytes bounds the request body a transport will buffer for signing.
// The vendor's requests are small JSON objects; anything near this size is a
// harness bug, and failing beats holding it in memory.
const MaxBodyBytes = 16 << 20

func base(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}

func now(f func() time.Time) time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}

// closeBody honours the RoundTripper contract that the request body is
// closed even when RoundTrip fails before sending.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// readBody drains and closes req.Body.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer closeBody(req)
	b, err := io.ReadAll(io.LimitReader(req.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("request body exceeds %d bytes", MaxBodyBytes)
	}
	return b, nil
}

// cloneWithBody returns a deep copy of req (headers included) whose body is
// b, replayable through GetBody so that the wrapped transport may retry.
// With force false a request that had no body keeps none.
func cloneWithBody(req *http.Request, b []byte, force bool) *http.Request {
	out := req.Clone(req.Context())
	if b == nil && !force {
		out.Body, out.GetBody, out.ContentLength = nil, nil, 0
		if req.Body == http.NoBody {
			out.Body = http.NoBody
		}
		return out
	}
	out.ContentLength = int64(len(b))
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return out
}

// scrub returns err with every value r has learnt removed from its text. It
// keeps the chain for errors.Is/As and the net.Error timeout signal that
// url.Error and retry logic read. The wrapped transport's own errors are
// the only text here that could echo a header; ours never do.
func scrub(r *redact.Redactor, err error) error {
	if r == nil {
		return err
	}
	msg := err.Error()
	clean := r.Text(msg)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Timeout reports whether the underlying error is a timeout.
func (e *scrubbedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}
