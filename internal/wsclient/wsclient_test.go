package wsclient

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/mmapi"
)

// serve starts a loopback websocket server running handle on each
// connection, and returns its ws:// URL.
func serve(t *testing.T, handle func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		handle(r.Context(), c)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/apiQuote/quote?token=secret-token-1234567890app"
}

func zlibOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dial(t *testing.T, url string, cfg Config) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), url, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Ensure text frames arrive as sent and binary frames arrive inflated.
func TestReadTextAndInflatedBinary(t *testing.T) {
	kline := []byte(`{"ret":200,"cmd_id":14013,"data":{"kline_list":[]}}`)
	url := serve(t, func(ctx context.Context, c *websocket.Conn) {
		_ = c.Write(ctx, websocket.MessageText, []byte("p(1,1,1,5,1700000000,1.0,1.0,1.1,2,3);"))
		_ = c.Write(ctx, websocket.MessageBinary, zlibOf(t, kline))
		<-ctx.Done()
	})
	c := dial(t, url, Config{})
	f, err := c.ReadFrame(context.Background())
	if err != nil || f.Binary || !strings.HasPrefix(string(f.Data), "p(") {
		t.Fatalf("text frame: %+v %v", f, err)
	}
	f, err = c.ReadFrame(context.Background())
	if err != nil || !f.Binary || !bytes.Equal(f.Data, kline) {
		t.Fatalf("binary frame: %q %v", f.Data, err)
	}
}

// Ensure a frame over the cap, a compression bomb and a payload that does
// not inflate are each a *FrameError naming the problem, not a hang or OOM.
func TestBadFramesAreFrameErrors(t *testing.T) {
	bomb := zlibOf(t, make([]byte, 512<<10)) // about 500 bytes on the wire
	for _, tc := range []struct {
		name    string
		msgType websocket.MessageType
		payload []byte
		want    FrameKind
	}{
		{"over the cap", websocket.MessageText, bytes.Repeat([]byte("x"), 4096), FrameTooLarge},
		{"compression bomb", websocket.MessageBinary, bomb, InflateTooLarge},
		{"not deflate", websocket.MessageBinary, []byte{0x78, 0x9c, 0xff, 0xff, 0xff, 0x00}, InflateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, func(ctx context.Context, c *websocket.Conn) {
				_ = c.Write(ctx, tc.msgType, tc.payload)
				<-ctx.Done()
			})
			c := dial(t, url, Config{MaxFrameBytes: 1024, ReadTimeout: 5 * time.Second})
			_, err := c.ReadFrame(context.Background())
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Kind != tc.want {
				t.Fatalf("want a %s FrameError, got %v", tc.want, err)
			}
		})
	}
}

// Ensure a server that sends nothing ends the wait with a TimeoutError
// within the bound, and the connection stays usable.
func TestSilentServerTimesOut(t *testing.T) {
	url := serve(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, _ = c.Read(ctx)
		_ = c.Write(ctx, websocket.MessageText, []byte("late"))
		<-ctx.Done()
	})
	c := dial(t, url, Config{ReadTimeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.ReadFrame(context.Background())
	var te *TimeoutError
	if !errors.As(err, &te) || time.Since(start) > 2*time.Second {
		t.Fatalf("want a timeout within the bound, got %v after %s", err, time.Since(start))
	}
	if err := c.WriteText(context.Background(), []byte("wake")); err != nil {
		t.Fatal(err)
	}
	if f, err := c.ReadFrame(context.Background()); err != nil || string(f.Data) != "late" {
		t.Fatalf("after the timeout: %q %v", f.Data, err)
	}
}

// Ensure a server that accepts TCP but never completes the handshake is
// unavailable within the handshake timeout, and the token stays out of the
// error.
func TestHandshakeNeverCompletes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	start := time.Now()
	_, err = Dial(context.Background(), "ws://"+ln.Addr().String()+"/apiQuote/quote?token=secret-token-1234567890app",
		Config{HandshakeTimeout: 300 * time.Millisecond})
	var ue *mmapi.UnavailableError
	if !errors.As(err, &ue) || time.Since(start) > 3*time.Second {
		t.Fatalf("want unavailable within the timeout, got %v after %s", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("the token reached the error: %v", err)
	}
}

// Ensure a URL naming another host than the target's is refused before
// dialling, and a handshake redirected off the host is not followed.
func TestOffHostRefused(t *testing.T) {
	if _, err := Dial(context.Background(), "ws://elsewhere.test/apiQuote/quote?token=secret-token-1234567890app",
		Config{Host: "127.0.0.1:1"}); err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("want a refusal without the token, got %v", err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to another host")
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/apiQuote/quote", http.StatusFound)
	}))
	defer redirector.Close()
	_, err := Dial(context.Background(), "ws"+strings.TrimPrefix(redirector.URL, "http")+"/apiQuote/quote", Config{})
	var ue *mmapi.UnavailableError
	if !errors.As(err, &ue) || ue.HTTPStatus != http.StatusFound {
		t.Fatalf("want unavailable with the 302, got %v", err)
	}
}

// Ensure a server's close is reported with its status code.
func TestServerCloseIsReported(t *testing.T) {
	url := serve(t, func(ctx context.Context, c *websocket.Conn) {
		_ = c.Close(websocket.StatusGoingAway, "idle")
	})
	c := dial(t, url, Config{ReadTimeout: 5 * time.Second})
	_, err := c.ReadFrame(context.Background())
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Kind != ClosedByServer || fe.Code != int(websocket.StatusGoingAway) {
		t.Fatalf("want closed_by_server 1001, got %v", err)
	}
}

// Ensure the bounded inflater refuses a bomb without reading it all.
func TestInflateBound(t *testing.T) {
	out, err := Inflate(zlibOf(t, []byte("hello")), 5)
	if err != nil || string(out) != "hello" {
		t.Fatalf("exact size: %q %v", out, err)
	}
	if _, err := Inflate(zlibOf(t, []byte("hello!")), 5); err == nil {
		t.Fatal("one byte over the cap passed")
	}
}

// Ensure a bomb in the transport's own compression (permessage-deflate: a
// small wire frame that inflates past the cap) is refused like a large
// frame, not inflated into memory.
func TestPermessageDeflateBomb(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionNoContextTakeover})
		if err != nil {
			return
		}
		defer c.CloseNow()
		_ = c.Write(r.Context(), websocket.MessageText, bytes.Repeat([]byte("0"), 8<<20))
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), Config{MaxFrameBytes: 64 << 10, ReadTimeout: 5 * time.Second})
	if !c.Deflate() {
		t.Fatal("permessage-deflate was not negotiated: the test proves nothing")
	}
	_, err := c.ReadFrame(context.Background())
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Kind != FrameTooLarge {
		t.Fatalf("want frame_too_large, got %v", err)
	}
}
