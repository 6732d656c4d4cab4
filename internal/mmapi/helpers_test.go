package mmapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

const findCustomerInfo = "customer.app.CustomerWebApiService.findCustomerInfo"

var opFind = Operation{BizType: findCustomerInfo}

// checkLeaks fails t if goroutines started during the test outlive it. Call
// it first so its cleanup runs last, after servers and clients are closed.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// newClient builds a Client for base with fast retries and its own
// transport, closed when the test ends.
func newClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:       base,
		CompanyID:     "439",
		LoginName:     "canary@example.com",
		LoginPassword: "a123456",
		Timeout:       2 * time.Second,
		RetryBackoff:  time.Millisecond,
		Redactor:      redact.New(redact.DefaultConfig()),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, NewHTTPClient(false))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func envelope(code string, data any) []byte {
	ok := code == "0"
	b, _ := json.Marshal(map[string]any{
		"bizCode": map[bool]string{true: "", false: "G"}[ok], "code": code, "msg": map[bool]string{true: "Success", false: "failed"}[ok],
		"tm": 12, "trace": "t", "msgParams": nil, "data": data, "ok": ok, "fail": !ok,
	})
	return b
}

// fakeVendor is a loopback stand-in for the vendor gateway: it logs in,
// issues tokens ending in "app" (or "admin"), and serves one data operation.
type fakeVendor struct {
	mu         sync.Mutex
	valid      map[string]bool
	logins     atomic.Int32
	auths      atomic.Int32
	calls      atomic.Int32
	loginBody  map[string]any
	seenHeader http.Header
	// expireWith, when set, is answered to every data call (token or not).
	expireWith string
	loginDelay time.Duration
}

func newFakeVendor() *fakeVendor { return &fakeVendor{valid: map[string]bool{}} }

func (v *fakeVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch {
	case r.URL.Path == "/api/login/customer.app.CustomerWebApiService.login":
		n := v.logins.Add(1)
		time.Sleep(v.loginDelay)
		v.mu.Lock()
		v.loginBody = body
		if body["loginPwd"] != "dc483e80a7a0bd9ef71d8cf973673924" {
			v.mu.Unlock()
			_, _ = w.Write([]byte(`{"bizCode":"US","code":"CUSTOMER_API_0000102","msg":"Account or password incorrect","tm":1,"trace":"t","msgParams":null,"data":null,"ok":false,"fail":true}`))
			return
		}
		tok := fmt.Sprintf("tok-%d-app", n)
		v.valid[tok] = true
		v.mu.Unlock()
		_, _ = w.Write(envelope("0", map[string]any{"token": tok}))
	case r.URL.Path == "/openapi-b/auth/admin.admin.CompanyAuthDubboService.auth":
		n := v.auths.Add(1)
		if body["appId"] != "app-1" || body["appSecret"] != "s3cret-app" {
			_, _ = w.Write(envelope("GATEWAY_CODE_101", nil))
			return
		}
		tok := fmt.Sprintf("mgr-%d-admin", n)
		v.mu.Lock()
		v.valid[tok] = true
		v.mu.Unlock()
		_, _ = w.Write(envelope("0", map[string]any{"token": tok}))
	default:
		v.calls.Add(1)
		v.mu.Lock()
		v.seenHeader = r.Header.Clone()
		tok := r.Header.Get("token")
		ok := v.valid[tok]
		expire := v.expireWith
		v.mu.Unlock()
		switch {
		case expire != "":
			_, _ = w.Write(envelope(expire, nil))
		case strings.HasPrefix(r.URL.Path, "/openapi-c/"):
			_, _ = w.Write(envelope("0", map[string]any{"path": r.URL.Path}))
		case tok == "":
			_, _ = w.Write(envelope(CodeTokenMissing, nil))
		case !ok:
			_, _ = w.Write(envelope(CodeTokenExpired, nil))
		default:
			_, _ = w.Write(envelope("0", map[string]any{"path": r.URL.Path}))
		}
	}
}

func (v *fakeVendor) expireAll() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.valid)
}

// faultServer is a raw TCP listener on loopback whose handler misbehaves
// below HTTP. Close releases every connection and waits for the handlers.
type faultServer struct {
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup
	hits atomic.Int32

	mu    sync.Mutex
	conns []net.Conn
}

func newFaultServer(t *testing.T, handle func(conn net.Conn, done <-chan struct{})) *faultServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &faultServer{ln: ln, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				if readRequest(conn) {
					s.hits.Add(1)
					handle(conn, s.done)
				}
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

func (s *faultServer) URL() string { return "http://" + s.ln.Addr().String() }

func (s *faultServer) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// readRequest consumes one HTTP request so the client is waiting for the
// response when the fault happens.
func readRequest(conn net.Conn) bool {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return false
	}
	_ = req.Body.Close()
	_ = conn.SetReadDeadline(time.Time{})
	return true
}

func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %T %v, want %T", err, err, target)
	}
	return target
}
