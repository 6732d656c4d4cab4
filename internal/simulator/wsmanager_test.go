package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/managerpush"
)

// managerToken logs the demo app in and returns its Manager token.
func (h *feedHarness) managerToken(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"appId": h.demo.AppID, "appSecret": h.demo.AppSecret})
	env := postSigned(t, http.DefaultTransport, h.srv.URL+"/openapi-b/auth/"+managerAuthBiz, nil, string(body))
	var data struct{ Token string }
	if err := json.Unmarshal(env.Data, &data); err != nil || data.Token == "" {
		t.Fatalf("manager auth: %s", env.Data)
	}
	return data.Token
}

func (h *feedHarness) dialManager(t *testing.T, ctx context.Context, token, group string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set(managerpush.HeaderToken, token)
	}
	if group != "" {
		hdr.Set(managerpush.HeaderGroup, group)
	}
	return websocket.Dial(ctx, h.wsURL(managerpush.Path), &websocket.DialOptions{HTTPHeader: hdr})
}

type managerFrame struct {
	Data      map[string]any `json:"data"`
	EventType string         `json:"eventType"`
}

// Ensure the Manager push accepts a handshake with a valid token and a
// group and pushes every one of the 18 event types as {data, eventType}
// while the client sends its text heartbeat.
func TestManagerPushSocket(t *testing.T) {
	h := newFeedHarness(t, Options{})
	set := loadSchemas(t)
	tok := h.managerToken(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := h.dialManager(t, ctx, tok, "g1")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < len(managerpush.EventTypes) {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d types: %v", len(seen), err)
		}
		var f managerFrame
		if err := json.Unmarshal(b, &f); err != nil || !managerpush.Known(f.EventType) || f.Data == nil {
			t.Fatalf("frame %s", b)
		}
		var raw struct{ Data json.RawMessage }
		_ = json.Unmarshal(b, &raw)
		holds(t, b, func(fam, _ string, frame []byte) ([]contract.Violation, error) { return set.ValidateFrame(fam, frame) }, "managerpush", "", b)
		holds(t, b, set.ValidateData, "managerpush", f.EventType, raw.Data)
		seen[f.EventType] = true
		if err := c.Write(ctx, websocket.MessageText, []byte(managerpush.Heartbeat)); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
}

// Ensure a reused group kicks the older connection out, and the group's
// cursor survives a reconnect (no event lost or repeated).
func TestManagerPushGroups(t *testing.T) {
	var g managerGroups
	ctx := context.Background()
	first, start, leave1 := g.join(ctx, "g", 100)
	if start != 100 {
		t.Fatalf("new group starts at %d, want now (100)", start)
	}
	_, _, leave2 := g.join(ctx, "g", 105)
	if first.Err() == nil {
		t.Fatal("the older connection of a reused group is still live")
	}
	leave1(103)
	leave2(110)
	_, start, _ = g.join(ctx, "g", 200)
	if start != 110 {
		t.Errorf("reconnect resumes at %d, want 110 (replay from where the group left)", start)
	}
}

// Ensure a handshake without a token, with an unknown one, or without a
// group is refused without an upgrade, with the gateway's codes.
func TestManagerPushRefusals(t *testing.T) {
	h := newFeedHarness(t, Options{})
	tok := h.managerToken(t)
	for _, tc := range []struct{ name, token, group, code string }{
		{"no token", "", "g", codeTokenNull},
		{"unknown token", "00000000-0000-4000-8000-000000000000admin", "g", codeLoginExpired},
		{"no group", tok, "", codeParamsInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, resp, err := h.dialManager(t, ctx, tc.token, tc.group)
			if err == nil || resp == nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("handshake: %v, %v; want a refused upgrade with HTTP 200", resp, err)
			}
		})
	}
}

// Ensure a connection that sends no heartbeat for three intervals is closed.
func TestManagerPushHeartbeatTimeout(t *testing.T) {
	h := newFeedHarness(t, Options{ManagerPingInterval: 20 * time.Millisecond, FeedPushInterval: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := h.dialManager(t, ctx, h.managerToken(t), "quiet")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || ctx.Err() != nil {
				t.Fatalf("closed with %v, want 1008 soon after three missed heartbeats", err)
			}
			return
		}
	}
}

// Ensure each Manager push scenario puts its fault on the socket.
func TestManagerPushScenarios(t *testing.T) {
	h := newFeedHarness(t, Options{})
	tok := h.managerToken(t)
	connect := func(t *testing.T, scenario string) (context.Context, *websocket.Conn) {
		h.useScenario(t, scenario)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		c, _, err := h.dialManager(t, ctx, tok, scenario)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		return ctx, c
	}
	for _, tc := range []struct {
		scenario string
		found    func(b []byte) bool
	}{
		{scManagerUnknownEvent, func(b []byte) bool { return strings.Contains(string(b), `"eventType":"`+unknownEventType+`"`) }},
		{scManagerTypeChange, func(b []byte) bool { return strings.Contains(string(b), `"executeTime":"`) }},
		{scManagerNonJSON, func(b []byte) bool { return !json.Valid(b) }},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			ctx, c := connect(t, tc.scenario)
			readUntil(t, ctx, c, 40, tc.found)
		})
	}
	for _, sc := range []string{scManagerDeaf, scManagerPushesStop} {
		t.Run(sc, func(t *testing.T) {
			ctx, c := connect(t, sc)
			short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancelShort()
			go func() { // reads, so that a pong can be seen
				for {
					if _, _, err := c.Read(ctx); err != nil {
						return
					}
				}
			}()
			perr := c.Ping(short)
			if sc == scManagerDeaf && perr == nil {
				t.Error("a deaf server answered the heartbeat")
			}
			if sc == scManagerPushesStop && perr != nil {
				t.Errorf("heartbeat: %v", perr)
			}
		})
	}
}
