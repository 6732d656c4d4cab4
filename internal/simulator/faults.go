package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// serveStall holds the request without sending headers until the client
// gives up (its context ends when the connection closes), the simulator is
// closed, or StallFor passes; in the last case the request is answered
// normally, as a slow vendor eventually would.
func serveStall(s *Simulator, w http.ResponseWriter, c *call) bool {
	// net/http notices a client that hangs up (and cancels the request
	// context) only once the request body has been read to the end; the
	// body is kept for the normal answer after the stall.
	body, err := io.ReadAll(http.MaxBytesReader(w, c.r.Body, maxRequestBody))
	if err != nil {
		return true
	}
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	t := time.NewTimer(s.opts.StallFor)
	defer t.Stop()
	select {
	case <-c.r.Context().Done():
		return true // nobody is listening; the server discards the response
	case <-s.done:
		statusPage(http.StatusServiceUnavailable, "text/html", nginxPage("503 Service Temporarily Unavailable"))(s, w, c)
		return true
	case <-t.C:
		return false
	}
}

// serveSlowBody sends the normal response's headers at once and then its body
// in 8-byte chunks, one per SlowBodyInterval, until done or the client leaves.
func serveSlowBody(s *Simulator, w http.ResponseWriter, c *call) bool {
	rec := newRecorder()
	s.serveGateway(rec, c, &scenarioDef{})
	copyHeader(w.Header(), rec.h)
	w.WriteHeader(rec.status)
	flush(w)
	body := rec.body.Bytes()
	t := time.NewTicker(s.opts.SlowBodyInterval)
	defer t.Stop()
	for len(body) > 0 {
		select {
		case <-c.r.Context().Done():
			return true
		case <-s.done:
			return true
		case <-t.C:
		}
		n := min(8, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return true
		}
		flush(w)
		body = body[n:]
	}
	return true
}

// serveRateLimited answers 429 with the rate-limit headers exhausted.
func serveRateLimited(retryAfter bool) func(*Simulator, http.ResponseWriter, *call) bool {
	return func(s *Simulator, w http.ResponseWriter, c *call) bool {
		h := w.Header()
		h.Set(headerRemaining, "0")
		if retryAfter {
			h.Set("Retry-After", "1")
		}
		s.writeError(w, http.StatusTooManyRequests, c, bizGateway, codeTooFrequent)
		return true
	}
}

// serveRedirect sends the client to the same path on another host. A client
// that follows it must not carry token, apiKey or signature along.
func serveRedirect(s *Simulator, w http.ResponseWriter, c *call) bool {
	h := w.Header()
	h.Set("Location", s.opts.RedirectTo+c.r.URL.RequestURI())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusTemporaryRedirect)
	return true
}

// overCapSize is the size the over-cap body exceeds: one MiB over the
// client's default 16 MiB cap.
const overCapSize = 17 << 20

// overCapBlock is 64 KiB of JSON array items, each exactly 1 KiB, built on
// the first over-cap answer rather than in every process that links the
// simulator.
var overCapBlock = sync.OnceValue(func() []byte {
	item := `"` + strings.Repeat("x", 1021) + `",`
	return []byte(strings.Repeat(item, 64))
})

// serveOverCap streams a syntactically valid envelope of just over 17 MiB
// from one shared 64 KiB block, never holding the body in memory, and stops
// as soon as a write fails (the client stopped reading at its cap).
func serveOverCap(s *Simulator, w http.ResponseWriter, c *call) bool {
	return streamOverCap(s, w, c, overCapBlock(), []byte(`"end"`))
}

// streamOverCap answers HTTP 200 with a success envelope whose data array is
// block repeated past overCapSize and then last, stopping as soon as the
// client hangs up or a write fails (it stopped reading at its cap).
func streamOverCap(s *Simulator, w http.ResponseWriter, c *call, block, last []byte) bool {
	drainRequest(w, c)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	head := []byte(`{"bizCode":"","code":"0","msg":"Success","tm":`)
	head = strconv.AppendInt(head, s.now().UnixMilli(), 10)
	head = append(head, `,"trace":`...)
	head = jsontok.AppendString(head, c.trace)
	head = append(head, `,"msgParams":null,"data":[`...)
	if _, err := w.Write(head); err != nil {
		return true
	}
	for sent := 0; sent < overCapSize; sent += len(block) {
		if c.r.Context().Err() != nil {
			return true
		}
		if _, err := w.Write(block); err != nil {
			return true
		}
	}
	_, _ = w.Write(append(append([]byte(nil), last...), `],"ok":true,"fail":false}`...))
	return true
}

// serveReset sends the headers of the normal response (with its full
// Content-Length) and half its body, then resets the connection. Where the
// connection cannot be hijacked (HTTP/2) the short body alone makes the
// server drop the connection once the handler returns.
func serveReset(s *Simulator, w http.ResponseWriter, c *call) bool {
	rec := newRecorder()
	s.serveGateway(rec, c, &scenarioDef{})
	body := rec.body.Bytes()
	half := body[:len(body)/2]
	hj, ok := w.(http.Hijacker)
	if !ok {
		copyHeader(w.Header(), rec.h)
		w.WriteHeader(rec.status)
		_, _ = w.Write(half)
		flush(w)
		return true
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return true
	}
	defer conn.Close()
	// The rate-limit headers were set on w before the hijack; keep them.
	copyHeader(rec.h, w.Header())
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 " + strconv.Itoa(rec.status) + " " + http.StatusText(rec.status) + "\r\n")
	_ = rec.h.Write(&head)
	head.WriteString("\r\n")
	_, _ = buf.Write(head.Bytes())
	_, _ = buf.Write(half)
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	return true
}

// withBigID puts bigInt in data's id: the object's own, the first item's of
// an array, or a new object's when data has neither.
func withBigID(data any) any {
	big := json.Number(bigInt)
	switch d := data.(type) {
	case obj:
		return d.with("id", big)
	case []obj:
		if len(d) > 0 {
			out := append([]obj(nil), d...)
			out[0] = out[0].with("id", big)
			return out
		}
	case rawJSON:
		if bytes.HasPrefix(d, []byte("[{")) {
			out := make(rawJSON, 0, len(d)+32)
			out = append(out, `[{"id":`+bigInt+`,`...)
			return append(out, d[2:]...)
		}
	}
	return obj{{"id", big}}
}

// recorder captures a response so a fault can replay it slowly or in part.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{h: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

func flush(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}
