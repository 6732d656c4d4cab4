package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/openmsg"
	"github.com/mmcontract/mmcontract/internal/signing"
)

// feedHarness is a simulator on a loopback server with the demo
// credentials, for the feed socket tests.
type feedHarness struct {
	sim  *Simulator
	srv  *httptest.Server
	demo DemoCredentials
}

func newFeedHarness(t *testing.T, opts Options) *feedHarness {
	t.Helper()
	if opts.FeedPushInterval == 0 {
		opts.FeedPushInterval = 5 * time.Millisecond
	}
	sim, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	demo, err := sim.Demo()
	if err != nil {
		t.Fatal(err)
	}
	return &feedHarness{sim: sim, srv: srv, demo: demo}
}

func (h *feedHarness) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + path
}

// pushToken asks getMsgPushToken for a message token, signed with the demo key.
func (h *feedHarness) pushToken(t *testing.T) string {
	t.Helper()
	env := postSigned(t, &signing.OpenAPITransport{APIKey: h.demo.APIKey, Key: h.demo.APISecret}, h.srv.URL+"/openapi-c/global/getMsgPushToken", nil, `{}`)
	var tok string
	if err := json.Unmarshal(env.Data, &tok); err != nil {
		t.Fatalf("getMsgPushToken: %s", env.Data)
	}
	return tok
}

func sendOpenMsg(t *testing.T, ctx context.Context, c *websocket.Conn, msgType, token string, seq int64, data map[string]any) {
	t.Helper()
	b, _ := json.Marshal(openmsg.Request{Head: openmsg.Head{MsgType: msgType, Token: token, SendTime: time.Now().UnixMilli(), Lang: "en-US"},
		Data: data, Device: openmsg.Device, SeqID: seq, Trace: "t-" + msgType})
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("writing %s: %v", msgType, err)
	}
}

// Ensure the trade-message socket accepts the token getMsgPushToken issued,
// acknowledges a subscription echoing seqId and trace, and then pushes
// notice, trade (every paramMap value a string) and f(…)/g(…) frames.
func TestOpenMsgSocket(t *testing.T) {
	h := newFeedHarness(t, Options{})
	set := loadSchemas(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, h.wsURL(openmsg.Path+h.demo.APIKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	sendOpenMsg(t, ctx, c, openmsg.Login, h.pushToken(t), 1, map[string]any{})
	sendOpenMsg(t, ctx, c, openmsg.SubscribeAsset, "", 2, map[string]any{"tradeTypes": "1,2"})
	seen := map[string]int{}
	for len(seen) < 5 {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", seen, err)
		}
		if openmsg.IsTextFrame(b) {
			af, err := openmsg.ParseTextFrame(b)
			if err != nil || len(af.Violations()) > 0 {
				t.Fatalf("text frame %q: %v %v", b, err, af.Violations())
			}
			var doc struct{ Data json.RawMessage }
			_ = json.Unmarshal(af.JSON(), &doc)
			holds(t, b, set.ValidateData, "openmsg", af.Frame, doc.Data)
			seen[af.Frame]++
			continue
		}
		var f struct {
			openmsg.ServerFrame
			Content struct {
				ParamMap map[string]any `json:"paramMap"`
			} `json:"content"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %q: %v", b, err)
		}
		if len(seen) == 0 && (f.MsgCode != openmsg.SubscribeSuccess || f.Trace != "t-subscribe_asset" || f.SeqID == nil || *f.SeqID != 2) {
			t.Fatalf("first frame %s, want subscribe_success echoing seqId 2 and the trace", b)
		}
		var raw struct{ Content json.RawMessage }
		_ = json.Unmarshal(b, &raw)
		holds(t, b, func(fam, _ string, frame []byte) ([]contract.Violation, error) { return set.ValidateFrame(fam, frame) }, "openmsg", "", b)
		holds(t, b, func(fam, kind string, content []byte) ([]contract.Violation, error) {
			return set.ValidateMember(fam, kind, "content", content)
		}, "openmsg", f.MsgCode, raw.Content)
		for k, v := range f.Content.ParamMap {
			if _, ok := v.(string); !ok {
				t.Errorf("paramMap.%s = %v, not a string", k, v)
			}
		}
		seen[f.MsgCode]++
	}
	for _, want := range []string{openmsg.SubscribeSuccess, openmsg.Notice, openmsg.Trade, openmsg.FrameF, openmsg.FrameG} {
		if seen[want] == 0 {
			t.Errorf("no %s frame in %v", want, seen)
		}
	}
}

// holds fails the test unless validate finds no violation in doc, a part
// of frame: the simulator's frames keep the schemas the suites check the
// vendor against.
func holds(t *testing.T, frame []byte, validate func(fam, kind string, doc []byte) ([]contract.Violation, error), fam, kind string, doc []byte) {
	t.Helper()
	vs, err := validate(fam, kind, doc)
	if err != nil || len(vs) > 0 {
		t.Fatalf("%s %s frame %.300s breaks its schema: %v %+v", fam, kind, frame, err, vs)
	}
}

// Ensure a token the simulator never issued, or one issued to another key,
// is answered with msgCode disconnect and the socket closes.
func TestOpenMsgBadToken(t *testing.T) {
	h := newFeedHarness(t, Options{})
	for name, url := range map[string]string{"unknown token": openmsg.Path + h.demo.APIKey, "another key's socket": openmsg.Path + "other-key"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, h.wsURL(url), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			tok := "00000000-0000-4000-8000-000000000000push"
			if name != "unknown token" {
				tok = h.pushToken(t)
			}
			sendOpenMsg(t, ctx, c, openmsg.Login, tok, 1, nil)
			_, b, err := c.Read(ctx)
			if err != nil || !strings.Contains(string(b), `"msgCode":"disconnect"`) {
				t.Fatalf("frame %s, %v; want disconnect", b, err)
			}
			if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("after disconnect: %v, want close 1008", err)
			}
		})
	}
	resp, err := http.Get(h.srv.URL + openmsg.Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("no appId: HTTP %d, want 404", resp.StatusCode)
	}
}

// useScenario switches h's simulator to scenario until the test ends.
func (h *feedHarness) useScenario(t *testing.T, scenario string) {
	t.Helper()
	if err := h.sim.SetScenario(scenario); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.sim.SetScenario("") })
}

// subscribedOpenMsg is a trade-message socket under scenario, logged in
// and subscribed to tradeTypes "1".
func (h *feedHarness) subscribedOpenMsg(t *testing.T, scenario string) (context.Context, *websocket.Conn) {
	t.Helper()
	h.useScenario(t, scenario)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, h.wsURL(openmsg.Path+h.demo.APIKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	c.SetReadLimit(4 << 20)
	sendOpenMsg(t, ctx, c, openmsg.Login, h.pushToken(t), 1, nil)
	sendOpenMsg(t, ctx, c, openmsg.SubscribeAsset, "", 2, map[string]any{"tradeTypes": "1"})
	return ctx, c
}

// readUntil reads up to n frames and fails unless one satisfies found.
func readUntil(t *testing.T, ctx context.Context, c *websocket.Conn, n int, found func([]byte) bool) {
	t.Helper()
	for i := 0; i < n; i++ {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if found(b) {
			return
		}
	}
	t.Fatalf("the fault never appeared in %d frames", n)
}

// Ensure each trade-message scenario puts its fault on the socket.
func TestOpenMsgScenarios(t *testing.T) {
	h := newFeedHarness(t, Options{})
	for _, tc := range []struct {
		scenario string
		found    func(b []byte) bool
	}{
		{scOpenMsgNumericParam, func(b []byte) bool { return strings.Contains(string(b), `"dealPrice":1`) }},
		{scOpenMsgNonJSON, func(b []byte) bool { return strings.HasPrefix(string(b), "<html>") }},
		{scOpenMsgBadTextFrame, func(b []byte) bool { return strings.HasPrefix(string(b), "f(") && strings.Contains(string(b), "NaN") }},
		{scOpenMsgOverCap, func(b []byte) bool { return len(b) > 1<<20 }},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			ctx, c := h.subscribedOpenMsg(t, tc.scenario)
			readUntil(t, ctx, c, 20, tc.found)
		})
	}
	t.Run(scOpenMsgPushesStop, func(t *testing.T) {
		ctx, c := h.subscribedOpenMsg(t, scOpenMsgPushesStop)
		if _, b, err := c.Read(ctx); err != nil || !strings.Contains(string(b), openmsg.SubscribeSuccess) {
			t.Fatalf("ack %s, %v", b, err)
		}
		short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancelShort()
		if _, b, err := c.Read(short); err == nil {
			t.Fatalf("pushed %s after the acknowledgement", b)
		}
	})
}
