package mmapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawResponse writes a literal HTTP/1.1 response head and body.
func rawResponse(contentLength int, body string) func(net.Conn, <-chan struct{}) {
	return func(conn net.Conn, _ <-chan struct{}) {
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", contentLength, body)
	}
}

// Ensure every fault in the matrix ends in the documented error type with a
// one-line reason, without panics or leaked goroutines, and that retries
// happen exactly for the transient faults.
func TestFaultMatrix(t *testing.T) {
	deep := `{"code":"0","ok":true,"data":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}"
	waf := `<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>`

	type fault struct {
		name string
		// exactly one of raw, handler, url is set
		raw     func(net.Conn, <-chan struct{})
		handler http.HandlerFunc
		refused bool
		// expectations
		contract bool // else unavailable
		reason   string
		hits     int32 // 0 = not checked
		status   int   // HTTP status recorded in the Exchange; 0 = none received
	}
	status := func(code int, hdr map[string]string, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
		}
	}
	ok200 := func(body string) http.HandlerFunc {
		return status(200, map[string]string{"Content-Type": "application/json"}, body)
	}

	faults := []fault{
		{name: "connection refused", refused: true, reason: `^connection refused after 3 attempts$`},
		{name: "reset mid-body", raw: func(conn net.Conn, _ <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"code\":\"0\",")
			time.Sleep(20 * time.Millisecond)
			_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
		}, reason: `^connection (reset by peer|closed mid-response \(truncated body\)) after 3 attempts$`, hits: 3, status: 200},
		{name: "no headers before timeout", raw: func(_ net.Conn, done <-chan struct{}) { <-done },
			reason: `^timeout after 200ms waiting for response headers$`, hits: 1},
		{name: "slow body", raw: func(conn net.Conn, done <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
			for {
				select {
				case <-done:
					return
				case <-time.After(30 * time.Millisecond):
					if _, err := io.WriteString(conn, " "); err != nil {
						return
					}
				}
			}
		}, reason: `^timeout after 200ms reading the response body$`, hits: 1, status: 200},
		{name: "EOF before headers", raw: func(net.Conn, <-chan struct{}) {},
			reason: `^connection closed before response headers after 3 attempts$`, hits: 3},
		{name: "truncated JSON, connection dropped", raw: rawResponse(200, `{"code":"0","ok":tr`),
			reason: `^connection closed mid-response \(truncated body\) after 3 attempts$`, hits: 3, status: 200},
		{name: "truncated JSON, complete response", raw: rawResponse(len(`{"code":"0","ok":tr`), `{"code":"0","ok":tr`),
			contract: true, reason: `^invalid JSON: unexpected end of input at offset 19 \(truncated body\?\)$`, hits: 1, status: 200},
		{name: "WAF 403 HTML", handler: status(403, map[string]string{"Content-Type": "text/html; charset=utf-8"}, waf),
			reason: `^HTTP 403 blocked \(WAF or access-control page\): "Attention Required! \| Cloudflare"$`, hits: 1, status: 403},
		{name: "418 ban", handler: status(418, nil, "banned"), reason: `^HTTP 418 banned`, hits: 1, status: 418},
		{name: "429 with Retry-After", handler: status(429, map[string]string{"Retry-After": "0"}, ""),
			reason: `^rate limited \(429\) after 3 attempts$`, hits: 3, status: 429},
		{name: "429 without Retry-After", handler: status(429, nil, ""),
			reason: `^rate limited \(429\) after 3 attempts$`, hits: 3, status: 429},
		{name: "500", handler: status(500, nil, "boom"), reason: `^HTTP 500 Internal Server Error$`, hits: 1, status: 500},
		{name: "500 with envelope", handler: status(500, nil, string(envelope("G500", nil))),
			reason: `^HTTP 500 Internal Server Error \(envelope G/G500\)$`, hits: 1, status: 500},
		{name: "502", handler: status(502, nil, ""), reason: `^HTTP 502 Bad Gateway after 3 attempts$`, hits: 3, status: 502},
		{name: "503", handler: status(503, nil, ""), reason: `^HTTP 503 Service Unavailable after 3 attempts$`, hits: 3, status: 503},
		{name: "504", handler: status(504, nil, ""), reason: `^HTTP 504 Gateway Timeout after 3 attempts$`, hits: 3, status: 504},
		{name: "redirect off-host", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.2:9/elsewhere", http.StatusFound)
		}, reason: `^redirected to another host: 127\.0\.0\.2:9$`, hits: 1, status: 302},
		{name: "over-cap body", handler: ok200(`{"code":"0","ok":true,"data":"` + strings.Repeat("x", 70000) + `"}`),
			contract: true, reason: `^HTTP 200 OK: body exceeds 64 KiB cap$`, hits: 1, status: 200},
		{name: "invalid UTF-8", handler: ok200("{\"code\":\"0\",\"ok\":true,\"data\":{\"name\":\"\xff\xfe\"}}"),
			contract: true, reason: `^invalid UTF-8 at offset 38$`, hits: 1, status: 200},
		{name: "10,000-deep JSON", handler: ok200(deep),
			contract: true, reason: `^JSON nesting exceeds 128 levels at offset 156$`, hits: 1, status: 200},
		{name: "duplicate keys", handler: ok200(`{"code":"0","ok":true,"data":{"email":"a@x","email":"b@x"}}`),
			contract: true, reason: `^duplicate key "email" at /data$`, hits: 1, status: 200},
		{name: "duplicate envelope key", handler: ok200(`{"code":"0","ok":false,"ok":true}`),
			contract: true, reason: `^duplicate key "ok" at top level$`, hits: 1, status: 200},
		{name: "integer beyond int64", handler: ok200(`{"code":"0","ok":true,"data":{"id":9223372036854775808}}`),
			contract: true, reason: `^integer 9223372036854775808 beyond int64 at /data/id$`, hits: 1, status: 200},
		{name: "empty 200 body", handler: ok200(""), contract: true, reason: `^empty body$`, hits: 1, status: 200},
		{name: "HTML on 200", handler: status(200, map[string]string{"Content-Type": "text/html"}, waf),
			contract: true, reason: `^not JSON: body starts with '<'$`, hits: 1, status: 200},
		{name: "code as a number", handler: ok200(`{"code":0,"ok":true}`),
			contract: true, reason: `^envelope field "code": is a number, want string$`, hits: 1, status: 200},
		{name: "404 HTML", handler: status(404, map[string]string{"Content-Type": "text/html"}, "<h1>no</h1>"),
			contract: true, reason: `^HTTP 404 Not Found: not JSON`, hits: 1, status: 404},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			checkLeaks(t)
			var (
				base string
				hits func() int32
			)
			switch {
			case f.refused:
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				base = "http://" + ln.Addr().String()
				_ = ln.Close()
			case f.raw != nil:
				s := newFaultServer(t, f.raw)
				base, hits = s.URL(), s.hits.Load
			default:
				n := new(atomic.Int32)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n.Add(1)
					f.handler(w, r)
				}))
				t.Cleanup(srv.Close)
				base, hits = srv.URL, n.Load
			}
			c := newClient(t, base, func(cfg *Config) {
				cfg.Token, cfg.Timeout, cfg.MaxBodyBytes = "t-app", 200*time.Millisecond, 64<<10
			})
			ex, err := c.Call(context.Background(), opFind, nil)
			var reason string
			if f.contract {
				reason = wantErr[*ContractError](t, err).Reason
			} else {
				reason = wantErr[*UnavailableError](t, err).Reason
			}
			if !regexp.MustCompile(f.reason).MatchString(reason) {
				t.Errorf("reason = %q, want /%s/", reason, f.reason)
			}
			if strings.ContainsAny(reason, "\r\n") || len(reason) > 300 {
				t.Errorf("reason is not one short line: %q", reason)
			}
			if f.hits != 0 && hits() != f.hits {
				t.Errorf("server hits = %d, want %d", hits(), f.hits)
			}
			if ex == nil || ex.HTTPStatus != f.status {
				t.Errorf("exchange status = %v, want %d", ex, f.status)
			}
		})
	}
}
