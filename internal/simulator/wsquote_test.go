package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/wsclient"
)

// quoteSession dials a quote socket of h's simulator.
func quoteSession(t *testing.T, h *harness, path string) (*quote.Session, *wsclient.Conn) {
	t.Helper()
	conn, err := wsclient.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+path, wsclient.Config{ReadTimeout: 3 * time.Second})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return quote.NewSession(frameConn{conn}, nil), conn
}

// frameConn adapts the websocket client to the quote session.
type frameConn struct{ *wsclient.Conn }

func (c frameConn) ReadFrame(ctx context.Context) (quote.Frame, error) {
	f, err := c.Conn.ReadFrame(ctx)
	return quote.Frame(f), err
}

// answer sends a request and returns its response, skipping pushes.
func answer(t *testing.T, s *quote.Session, cmd uint32, data any) (quote.Request, quote.Response) {
	t.Helper()
	req, _, err := s.Send(context.Background(), cmd, "ext-1", data)
	if err != nil {
		t.Fatalf("send %d: %v", cmd, err)
	}
	for {
		m, err := s.Next(context.Background())
		if err != nil {
			t.Fatalf("waiting for the answer to %d: %v", cmd, err)
		}
		if m.Err != nil {
			t.Fatalf("frame %q: %v", m.Frame.Data, m.Err)
		}
		if m.Response != nil {
			return req, *m.Response
		}
	}
}

var eurusd = quote.Symbol{SymbolID: 1001, TradeType: 5, TradeMode: 1}

// Ensure the quote socket speaks the documented protocol: heartbeat, tick
// and depth subscriptions with their pushes, cancel, a compressed K-line.
func TestQuoteSocketProtocol(t *testing.T) {
	h := newHarness(t, Options{Now: time.Now, QuotePushInterval: 10 * time.Millisecond})
	s, _ := quoteSession(t, h, quote.PathQuoteGuest)

	req, r := answer(t, s, quote.CmdHeartbeat, nil)
	if !r.OK() || r.CmdID != quote.CmdHeartbeatAck || r.SeqID != req.SeqID || r.Ext != "ext-1" {
		t.Fatalf("heartbeat answer %+v", r)
	}
	_, r = answer(t, s, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: []quote.Symbol{eurusd}})
	var ack struct {
		TickList []quote.Tick `json:"tick_list"`
	}
	if err := json.Unmarshal(r.Data, &ack); err != nil || !r.OK() || len(ack.TickList) != 1 {
		t.Fatalf("tick ack %s: %v", r.Data, err)
	}
	var price string
	if err := json.Unmarshal(ack.TickList[0].Price, &price); err != nil || quote.FractionDigits(price) != ack.TickList[0].PriceDigits {
		t.Fatalf("price %s with %d digits", ack.TickList[0].Price, ack.TickList[0].PriceDigits)
	}
	m, err := s.Next(context.Background())
	if err != nil || len(m.Pushes) != 1 || m.Pushes[0].Kind != quote.PushTick {
		t.Fatalf("first push: %+v %v", m, err)
	}
	if seq, _ := m.Pushes[0].Int("seq"); uint64(seq) != ack.TickList[0].Seq+1 {
		t.Fatalf("push seq %d after ack seq %d", seq, ack.TickList[0].Seq)
	}
	_, r = answer(t, s, quote.CmdCancel, quote.Cancellation{CancelType: quote.CancelAll})
	if !r.OK() || r.CmdID != quote.CmdCancelAck {
		t.Fatalf("cancel %+v", r)
	}
	_, r = answer(t, s, quote.CmdKline, quote.KlineQuery{Symbol: eurusd, KlineType: 1, QueryKlineNum: quote.MaxKlineBars})
	var k struct {
		KlineList []quote.Candle `json:"kline_list"`
	}
	if err := json.Unmarshal(r.Data, &k); err != nil || len(k.KlineList) != quote.MaxKlineBars {
		t.Fatalf("kline: %d bars, %v", len(k.KlineList), err)
	}
}

// Ensure malformed request frames get ret 201 (header) and 202 (data).
func TestQuoteSocketErrors(t *testing.T) {
	h := newHarness(t, Options{})
	s, _ := quoteSession(t, h, quote.PathQuoteGuest)
	for _, tc := range []struct {
		frame string
		want  int32
	}{
		{`not json`, quote.RetHeaderInvalid},
		{`{"seq_id":1,"data":{}}`, quote.RetHeaderInvalid},
		{`{"cmd_id":14000,"seq_id":2,"ext":"","data":{"symbol_list":"x"}}`, quote.RetDataInvalid},
		{`{"cmd_id":14006,"seq_id":3,"ext":"","data":{"cancel_type":9}}`, quote.RetDataInvalid},
	} {
		if _, err := s.SendRaw(context.Background(), []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		m, err := s.Next(context.Background())
		if err != nil || m.Response == nil || m.Response.RetCode() != tc.want {
			t.Errorf("%s: want ret %d, got %+v %v", tc.frame, tc.want, m.Response, err)
		}
	}
}

// Ensure the token sockets refuse a handshake without a valid client token
// and accept one with it.
func TestQuoteSocketToken(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := wsclient.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+quote.PathQuote+"?token=nope", wsclient.Config{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("want a refused handshake, got %v", err)
	}
	tok := h.login()
	s, _ := quoteSession(t, h, quote.PathQuoteStock+"?token="+tok)
	if _, r := answer(t, s, quote.CmdHeartbeat, nil); !r.OK() {
		t.Fatalf("heartbeat with a token: %+v", r)
	}
}

// Ensure the idle timeout is injectable: a silent client is disconnected
// after it, and heartbeats keep the connection open.
func TestQuoteSocketIdle(t *testing.T) {
	h := newHarness(t, Options{Now: time.Now, QuoteIdleTimeout: 300 * time.Millisecond})
	s, conn := quoteSession(t, h, quote.PathQuoteGuest)
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		if _, r := answer(t, s, quote.CmdHeartbeat, nil); !r.OK() {
			t.Fatalf("heartbeat %+v", r)
		}
	}
	_, err := conn.ReadFrameWithin(context.Background(), 3*time.Second)
	var fe *wsclient.FrameError
	if !errors.As(err, &fe) || fe.Kind != wsclient.ClosedByServer {
		t.Fatalf("want the server's close after the idle timeout, got %v", err)
	}
}

// Ensure the server counts calls per second and refuses the 51st.
func TestQuoteSocketRateLimit(t *testing.T) {
	h := newHarness(t, Options{}) // the fake clock stands still: every call in one second
	s, conn := quoteSession(t, h, quote.PathQuoteGuest)
	for i := range quote.MaxCallsPerSecond + 1 {
		if err := conn.WriteText(context.Background(), []byte(`{"cmd_id":14008,"seq_id":1,"ext":"","data":{}}`)); err != nil {
			t.Fatal(err)
		}
		m, err := s.Next(context.Background())
		if err != nil || m.Response == nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if want := i < quote.MaxCallsPerSecond; m.Response.OK() != want {
			t.Fatalf("call %d: ret %d", i+1, m.Response.RetCode())
		}
	}
}
