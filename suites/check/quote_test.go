package check

import (
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/quote"
)

var quoteNow = time.Unix(1700000100, 0)

func keywords(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: keywords %v, want %v", what, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: keywords %v, want %v", what, got, want)
		}
	}
}

// Ensure the answer check names each broken echo and a refused request.
func TestAck(t *testing.T) {
	ok := int32(200)
	bad := int32(500)
	req := quote.Request{CmdID: quote.CmdHeartbeat, SeqID: 4, Ext: "e"}
	if vs := Ack(req, quote.Response{Ret: &ok, CmdID: quote.CmdHeartbeatAck, SeqID: 4, Ext: "e"}); len(vs) != 0 {
		t.Fatalf("a right answer: %v", vs)
	}
	vs := Ack(req, quote.Response{Ret: &bad, CmdID: quote.CmdHeartbeat, SeqID: 5, Ext: "x"})
	var kws []string
	for _, v := range vs {
		kws = append(kws, v.Keyword)
	}
	keywords(t, "a wrong answer", kws, "ack_cmd", "seq_id_echo", "ext_echo", "ret")
	if vs := Refusal(quote.Response{Ret: &ok}, quote.RetHeaderInvalid); len(vs) != 1 || vs[0].Pointer != "/ret" {
		t.Fatalf("an accepted malformed frame: %v", vs)
	}
}

// Ensure price texts, digits and time units are judged as the protocol
// writes them.
func TestPriceAndTime(t *testing.T) {
	for _, tc := range []struct {
		text   string
		digits int
		want   []string
	}{
		{"1.23450", 5, nil}, {"1.2345", 5, []string{"price_digits"}}, {"1e3", -1, []string{"decimal_string"}}, {"12", 0, nil}, {"12", -1, nil},
	} {
		var kws []string
		for _, v := range Price("/p", tc.text, tc.digits) {
			kws = append(kws, v.Keyword)
		}
		keywords(t, tc.text, kws, tc.want...)
	}
	if vs := TickTime("/t", 1700000000, quoteNow); len(vs) != 0 {
		t.Fatalf("seconds: %v", vs)
	}
	if vs := TickTime("/t", 1700000000123, quoteNow); len(vs) != 1 || vs[0].Message != "a quote time in milliseconds where the protocol uses seconds" {
		t.Fatalf("milliseconds: %v", vs)
	}
}

// Ensure the ticks of a 14001 answer are checked and their digits kept.
func TestTickList(t *testing.T) {
	vs, digits := TickList([]byte(`{"tick_list":[{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":1,"tick_time":1700000000,"price_digits":2,"price":"1.5","open_price":1.5}]}`), quoteNow)
	if len(vs) != 1 || vs[0].Pointer != "/data/tick_list/0/price" || vs[0].Keyword != "price_digits" {
		t.Fatalf("violations %v", vs)
	}
	if digits[quote.Symbol{SymbolID: 1001, TradeType: 5, TradeMode: 1}] != 2 {
		t.Fatalf("digits %v", digits)
	}
}

// Ensure candles are held to the query's count, ascending time and OHLC
// consistency.
func TestCandles(t *testing.T) {
	good := `{"kline_list":[{"timestamp":1699999920,"open_price":"1.0","close_price":"1.2","high_price":"1.3","low_price":"0.9"},` +
		`{"timestamp":1699999980,"open_price":"1.2","close_price":"1.1","high_price":"1.2","low_price":"1.1"}]}`
	if vs := Candles([]byte(good), 2, quoteNow); len(vs) != 0 {
		t.Fatalf("good candles: %v", vs)
	}
	bad := `{"kline_list":[{"timestamp":1699999980,"open_price":"1.0","close_price":"1.4","high_price":"1.3","low_price":"0.9"},` +
		`{"timestamp":1699999920,"open_price":"1.2","close_price":"1.1","high_price":"1.2","low_price":"1.1"}]}`
	var kws []string
	for _, v := range Candles([]byte(bad), 1, quoteNow) {
		kws = append(kws, v.Keyword)
	}
	keywords(t, "bad candles", kws, "query_kline_num", "ohlc", "candle_order")
}

// Ensure a push's prices and time are checked at the push object's
// pointers.
func TestPush(t *testing.T) {
	ps, err := quote.ParsePushes([]byte("pd(1001,5,1,9,1700000000123);(1.1,2);(x,4);"))
	if err != nil {
		t.Fatal(err)
	}
	var ptrs []string
	for _, v := range Push(ps[0], map[quote.Symbol]int{{SymbolID: 1001, TradeType: 5, TradeMode: 1}: 1}, quoteNow) {
		ptrs = append(ptrs, v.Pointer)
	}
	keywords(t, "depth push", ptrs, "/data/asks/0/price", "/data/tick_time")
}
