package check_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// tickText and tickJSON are one tick as the quote socket sends it: a text
// push, and a 14001 answer carrying one tick.
const (
	tickText = "p(1001,5,1,7,1700000000,1.23450,1.23440,1.23460,10,12);"
	tickJSON = `{"ret":200,"msg":"success","cmd_id":14001,"seq_id":1,"ext":"mmcontract-14000","data":{"tick_list":[` +
		`{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":7,"tick_time":1700000000,"price_digits":5,"price":"1.23450",` +
		`"tick_deep":[{"price_bid":"1.23440","price_ask":"1.23460","volume_bid":"10","volume_ask":"12"}],` +
		`"open_price":"1.23000","close_price":"1.23450","high_price":"1.23600","low_price":"1.22900","yesterday_close_price":"1.23100"}]}}`
)

// BenchmarkQuoteTickFrames measures tick frames parsed and validated per
// second, each the way a spec checks it: a text push is parsed, made an
// object, validated against push_p and its prices and time checked; a JSON
// frame is classified, its header validated against frame.json, its data
// against subscribe_tick, and its ticks checked. frames/s is the figure;
// x-bare-decode compares the time with a bare encoding/json decode of the
// same frame (of a text push's JSON form, for text).
func BenchmarkQuoteTickFrames(b *testing.B) {
	set, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1700000100, 0)
	digits := map[quote.Symbol]int{{SymbolID: 1001, TradeType: 5, TradeMode: 1}: 5}
	text := func() error {
		m := quote.Classify(quote.Frame{Data: []byte(tickText)})
		if m.Err != nil || len(m.Pushes) != 1 {
			b.Fatalf("%v", m.Err)
		}
		var doc struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(m.Pushes[0].AppendJSON(nil), &doc); err != nil {
			return err
		}
		vs, err := check.Data(set, "quote", quote.PushTick.SchemaKind(), nil, true, doc.Data)
		if len(vs)+len(check.Push(m.Pushes[0], digits, now)) > 0 {
			b.Fatalf("violations: %v", vs)
		}
		return err
	}
	frame := []byte(tickJSON)
	jsonFrame := func() error {
		m := quote.Classify(quote.Frame{Data: frame})
		if m.Response == nil {
			b.Fatalf("%v", m.Err)
		}
		fv, err := check.Frame(set, "quote", frame)
		if err != nil {
			return err
		}
		vs, err := check.Data(set, "quote", "subscribe_tick", fv, m.Response.OK(), m.Response.Data)
		tv, _ := check.TickList(m.Response.Data, now)
		if len(vs)+len(tv) > 0 {
			b.Fatalf("violations: %v %v", vs, tv)
		}
		return err
	}
	pushes, err := quote.ParsePushes([]byte(tickText))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		body, bare []byte // bare: the JSON a bare decode reads instead
		f          func() error
	}{{"text", []byte(tickText), pushes[0].AppendJSON(nil), text}, {"json", frame, frame, jsonFrame}} {
		var bare float64
		b.Run(tc.name+"/encoding-json", func(b *testing.B) {
			for b.Loop() {
				var v any
				_ = json.Unmarshal(tc.bare, &v)
			}
			bare = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(tc.name+"/check", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				if err := tc.f(); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(1e9/ns, "frames/s")
			if bare > 0 {
				b.ReportMetric(ns/bare, "x-bare-decode")
			}
		})
	}
}
