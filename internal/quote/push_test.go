package quote

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// Ensure every documented push parses into the object the schemas expect.
func TestParsePushes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // the JSON of each push
	}{
		{"p(1001,5,1,7,1700000000,1.2345,1.2344,1.2346,10,12);",
			[]string{`{"frame":"p","data":{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":7,"tick_time":1700000000,"price":"1.2345","price_bid1":"1.2344","price_ask1":"1.2346","volume_bid1":"10","volume_ask1":"12"}}`}},
		{"pt(1001,5,1,8,1700000001,1.2345,0.5,1);",
			[]string{`{"frame":"pt","data":{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":8,"tick_time":1700000001,"price":"1.2345","volume":"0.5","trade_direction":1}}`}},
		{"pd(1001,5,1,9,1700000002);(1.1,2)(1.0,3);(1.2,4);",
			[]string{`{"frame":"pd","data":{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":9,"tick_time":1700000002,"bids":[{"price":"1.1","volume":"2"},{"price":"1.0","volume":"3"}],"asks":[{"price":"1.2","volume":"4"}]}}`}},
		{"pd(1001,5,1,9,1700000002);;;",
			[]string{`{"frame":"pd","data":{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":9,"tick_time":1700000002,"bids":[],"asks":[]}}`}},
		{"pr(1001,5,1,1.3,1.1,1.4,1.0,120,55.5);",
			[]string{`{"frame":"pr","data":{"symbol_id":1001,"trade_type":5,"trade_mode":1,"rolling_last_price":"1.3","rolling_first_price":"1.1","rolling_high_price":"1.4","rolling_low_price":"1.0","rolling_transactions_number":120,"rolling_amount":"55.5"}}`}},
		// Two pushes in one frame; a price sent as something else stays
		// its string for the schema to judge; an integer that is not one
		// becomes a string too; a value past the documented ones is extra.
		{"p(1,5,1,1,2,x,1,1,1,1);p(1,5,1,2e3,2,1,1,1,1,1,new);",
			[]string{
				`{"frame":"p","data":{"symbol_id":1,"trade_type":5,"trade_mode":1,"seq":1,"tick_time":2,"price":"x","price_bid1":"1","price_ask1":"1","volume_bid1":"1","volume_ask1":"1"}}`,
				`{"frame":"p","data":{"symbol_id":1,"trade_type":5,"trade_mode":1,"seq":"2e3","tick_time":2,"price":"1","price_bid1":"1","price_ask1":"1","volume_bid1":"1","volume_ask1":"1","extra":["new"]}}`,
			}},
		{"p(1,5);", []string{`{"frame":"p","data":{"symbol_id":1,"trade_type":5}}`}},
	} {
		got, err := ParsePushes([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d pushes, want %d", tc.in, len(got), len(tc.want))
			continue
		}
		for i, p := range got {
			if s := string(p.AppendJSON(nil)); s != tc.want[i] {
				t.Errorf("%s #%d:\n got %s\nwant %s", tc.in, i, s, tc.want[i])
			}
		}
	}
}

// Ensure text that is not the push syntax is a ParseError with its offset.
func TestParsePushesRefuses(t *testing.T) {
	for _, in := range []string{"", "hello", "p(1,2", "p(1,2)", "p(1,2);x", "pd(1,5,1,1,1);(1,2,3);;", "pd(1,5,1,1,1);(1,2)", "p((1));", `p(1,"a");`, "q(1);",
		"p(" + strings.Repeat("1,", 100) + "1);"} {
		_, err := ParsePushes([]byte(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: want a ParseError, got %v", in, err)
		}
	}
}

// FuzzParsePushes ensures the parser never panics, and that whatever it
// accepts becomes valid JSON that the project's strict tokenizer reads.
func FuzzParsePushes(f *testing.F) {
	for _, s := range []string{
		"p(1001,5,1,7,1700000000,1.2345,1.2344,1.2346,10,12);",
		"pt(1001,5,1,8,1700000001,1.2345,0.5,1);",
		"pd(1001,5,1,9,1700000002);(1.1,2)(1.0,3);(1.2,4);",
		"pr(1001,5,1,1.3,1.1,1.4,1.0,120,55.5);",
		"p(1,5,1,1,2,x,1,1,1,1);p(1,5,1,2e3,2,1,1,1,1,1,new);",
		`{"ret":200}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pushes, err := ParsePushes(in)
		if err != nil {
			return
		}
		for _, p := range pushes {
			b := p.AppendJSON(nil)
			tok := jsontok.New(b, jsontok.Options{})
			for {
				_, err := tok.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%q became invalid JSON %s: %v", in, b, err)
				}
			}
		}
	})
}

// Ensure decimal strings and their digit counts are read as the vendor
// writes them.
func TestDecimal(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "1.25": true, "-0.5": true, "1.": false, ".5": false, "1e3": false, "": false, "1.2.3": false} {
		if IsDecimal(s) != want {
			t.Errorf("IsDecimal(%q) = %v", s, !want)
		}
	}
	if FractionDigits("1.2300") != 4 || FractionDigits("12") != 0 {
		t.Error("FractionDigits")
	}
}

// Ensure the limiter keeps every window within its maximum.
func TestLimiterNeverExceeds(t *testing.T) {
	l := NewLimiter(5, 100*time.Millisecond, nil)
	var times []time.Time
	for range 17 {
		at, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, at)
	}
	for i := range times {
		n := 0
		for _, u := range times[i:] {
			if u.Sub(times[i]) < 100*time.Millisecond {
				n++
			}
		}
		if n > 5 {
			t.Fatalf("%d requests within one window from #%d", n, i)
		}
	}
	if m := l.MaxInWindow(); m != 5 {
		t.Fatalf("MaxInWindow %d, want 5", m)
	}
}

// recorder is a FrameConn that keeps what was written.
type recorder struct{ written [][]byte }

func (r *recorder) ReadFrame(context.Context) (Frame, error) {
	return Frame{}, errors.New("nothing to read")
}
func (r *recorder) WriteText(_ context.Context, b []byte) error {
	r.written = append(r.written, b)
	return nil
}

// Ensure the session numbers requests, and refuses one over a limit without
// sending it.
func TestSessionLimits(t *testing.T) {
	rec := &recorder{}
	s := NewSession(rec, nil)
	syms := make([]Symbol, MaxSymbols+1)
	if _, _, err := s.Send(context.Background(), CmdSubscribeTick, "x", TickSubscription{SymbolList: syms}); err == nil {
		t.Fatal("101 symbols sent")
	}
	if _, _, err := s.Send(context.Background(), CmdKline, "x", KlineQuery{QueryKlineNum: 1001}); err == nil {
		t.Fatal("1001 bars asked for")
	}
	if _, _, err := s.Send(context.Background(), CmdHeartbeat, strings.Repeat("e", 65), nil); err == nil {
		t.Fatal("a 65-byte ext sent")
	}
	req, _, err := s.Send(context.Background(), CmdSubscribeTick, "t-1", TickSubscription{SymbolList: syms[:MaxSymbols]})
	if err != nil || req.SeqID != 1 || len(rec.written) != 1 {
		t.Fatalf("100 symbols: %v (seq %d, %d written)", err, req.SeqID, len(rec.written))
	}
	var back Request
	if err := json.Unmarshal(rec.written[0], &back); err != nil || back.CmdID != CmdSubscribeTick || back.Ext != "t-1" {
		t.Fatalf("written %s: %v", rec.written[0], err)
	}
}

// Ensure frames are classified as responses, pushes, or neither.
func TestClassify(t *testing.T) {
	m := Classify(Frame{Data: []byte(`{"ret":200,"msg":"ok","cmd_id":14009,"seq_id":3,"ext":"e","data":{}}`)})
	if m.Err != nil || m.Response == nil || !m.Response.OK() || m.Response.SeqID != 3 {
		t.Fatalf("response: %+v", m)
	}
	if m := Classify(Frame{Data: []byte("p(1,5,1,1,1,1,1,1,1,1);")}); m.Err != nil || len(m.Pushes) != 1 {
		t.Fatalf("push: %+v", m)
	}
	if m := Classify(Frame{Data: []byte("<html>")}); m.Err == nil {
		t.Fatal("a non-JSON frame classified")
	}
	if m := Classify(Frame{Data: []byte(`{"msg":"no ret"}`)}); m.Response == nil || m.Response.RetCode() != -1 {
		t.Fatalf("no ret: %+v", m)
	}
}
