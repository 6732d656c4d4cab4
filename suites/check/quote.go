package check

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/schemas"
)

// The quote websocket's checks. A frame's header is checked like an
// envelope (Frame) and its data like a response's (Data); what a schema
// cannot say (a price's text, its digits, a time's unit, a stream's
// order) is checked here, one function per check, each returning its
// violations with pointers from the frame's root.

// FrameSchemas is what the frame checks need of *schemas.Set.
type FrameSchemas interface {
	ValidateFrame(family string, frame []byte) ([]contract.Violation, error)
}

var _ FrameSchemas = (*schemas.Set)(nil)

// Frame is the frame-header check: the whole response frame against its
// family's frame schema, violations sorted stably.
func Frame(s FrameSchemas, family string, frame []byte) ([]contract.Violation, error) {
	vs, err := s.ValidateFrame(family, frame)
	if err != nil {
		return nil, fmt.Errorf("validating the %s frame: %w", family, err)
	}
	schemas.SortViolations(vs)
	return vs, nil
}

// Ack is the acknowledgement check: the answer to req has the answer's
// command id, echoes seq_id and ext, and says ret 200.
func Ack(req quote.Request, resp quote.Response) []contract.Violation {
	var vs []contract.Violation
	if want := req.CmdID + 1; resp.CmdID != want {
		vs = append(vs, contract.Violation{Pointer: "/cmd_id", Keyword: "ack_cmd", Expected: fmt.Sprint(want), Seen: fmt.Sprint(resp.CmdID),
			Message: "the answer carries another command id than the request's plus one"})
	}
	if resp.SeqID != req.SeqID {
		vs = append(vs, contract.Violation{Pointer: "/seq_id", Keyword: "seq_id_echo", Expected: fmt.Sprint(req.SeqID), Seen: fmt.Sprint(resp.SeqID),
			Message: "the answer does not echo the request's seq_id"})
	}
	if resp.Ext != req.Ext {
		vs = append(vs, contract.Violation{Pointer: "/ext", Keyword: "ext_echo", Expected: fmt.Sprintf("%q", req.Ext), Seen: fmt.Sprintf("%q", resp.Ext),
			Message: "the answer does not echo the request's ext"})
	}
	if !resp.OK() {
		vs = append(vs, contract.Violation{Pointer: "/ret", Keyword: "ret", Expected: "200", Seen: fmt.Sprint(resp.RetCode()),
			Message: "a well-formed request was refused: " + resp.Msg})
	}
	return vs
}

// Refusal is the malformed-request check: the answer to a malformed frame
// carries one of the want codes (201 header, 202 data).
func Refusal(resp quote.Response, want ...int32) []contract.Violation {
	for _, w := range want {
		if resp.RetCode() == w {
			return nil
		}
	}
	exp := ""
	for i, w := range want {
		if i > 0 {
			exp += " or "
		}
		exp += fmt.Sprint(w)
	}
	return []contract.Violation{{Pointer: "/ret", Keyword: "ret", Expected: exp, Seen: fmt.Sprint(resp.RetCode()),
		Message: "a malformed request frame was not refused with the documented code"}}
}

// plausibleSeconds bounds a quote time in seconds: after 2009 and not more
// than a day ahead. A millisecond time is a thousand times past it.
func plausibleSeconds(t int64, now time.Time) bool {
	return t > 1_230_768_000 && t < now.Add(24*time.Hour).Unix()
}

// TickTime is the unit check of a quote time at pointer: seconds, as the
// quote protocol writes them (REST uses milliseconds).
func TickTime(pointer string, t int64, now time.Time) []contract.Violation {
	if plausibleSeconds(t, now) {
		return nil
	}
	seen := fmt.Sprint(t)
	msg := "a quote time that is not a plausible time in seconds"
	if plausibleSeconds(t/1000, now) {
		msg = "a quote time in milliseconds where the protocol uses seconds"
	}
	return []contract.Violation{{Pointer: pointer, Keyword: "tick_time_seconds", Expected: "seconds since the epoch", Seen: seen, Message: msg}}
}

// Price is the price-text check at pointer: a decimal string (a JSON
// number is the schema's to report) with exactly digits fraction digits
// when digits is known (≥ 0).
func Price(pointer, text string, digits int) []contract.Violation {
	if !quote.IsDecimal(text) {
		return []contract.Violation{{Pointer: pointer, Keyword: "decimal_string", Expected: "a decimal string", Seen: fmt.Sprintf("%q", text),
			Message: "a price that is not a decimal string"}}
	}
	if digits >= 0 && quote.FractionDigits(text) != digits {
		return []contract.Violation{{Pointer: pointer, Keyword: "price_digits", Expected: fmt.Sprintf("%d fraction digits", digits),
			Seen: fmt.Sprintf("%q", text), Message: "a price whose text disagrees with price_digits"}}
	}
	return nil
}

// TickList is the check of a 14001 answer's ticks beyond their schema:
// each price a decimal string with price_digits digits, tick_time in
// seconds. It returns each symbol's price_digits, for the pushes.
func TickList(data []byte, now time.Time) ([]contract.Violation, map[quote.Symbol]int) {
	var d struct {
		TickList []struct {
			quote.Tick
			OpenPrice           json.RawMessage `json:"open_price"`
			ClosePrice          json.RawMessage `json:"close_price"`
			HighPrice           json.RawMessage `json:"high_price"`
			LowPrice            json.RawMessage `json:"low_price"`
			YesterdayClosePrice json.RawMessage `json:"yesterday_close_price"`
		} `json:"tick_list"`
	}
	digits := map[quote.Symbol]int{}
	if json.Unmarshal(data, &d) != nil {
		return nil, digits // the schema check says what is wrong
	}
	var vs []contract.Violation
	for i, t := range d.TickList {
		at := "/data/tick_list/" + strconv.Itoa(i)
		digits[quote.Symbol{SymbolID: t.SymbolID, TradeType: t.TradeType, TradeMode: t.TradeMode}] = t.PriceDigits
		vs = append(vs, TickTime(at+"/tick_time", t.TickTime, now)...)
		for _, p := range []struct {
			name string
			raw  json.RawMessage
		}{{"price", t.Price}, {"open_price", t.OpenPrice}, {"close_price", t.ClosePrice}, {"high_price", t.HighPrice},
			{"low_price", t.LowPrice}, {"yesterday_close_price", t.YesterdayClosePrice}} {
			// A price that is no JSON string is the schema's to report.
			if len(p.raw) > 1 && p.raw[0] == '"' {
				var text string
				if json.Unmarshal(p.raw, &text) == nil {
					vs = append(vs, Price(at+"/"+p.name, text, t.PriceDigits)...)
				}
			}
		}
	}
	return vs, digits
}

// Push is the check of one parsed push beyond its schema: prices decimal
// strings, with the symbol's price_digits where the ack told them, and
// tick_time in seconds. Pointers are the push object's (/data/price).
func Push(p quote.Push, digits map[quote.Symbol]int, now time.Time) []contract.Violation {
	var vs []contract.Violation
	d := -1
	if sym, ok := p.Symbol(); ok {
		if n, known := digits[sym]; known {
			d = n
		}
	}
	for _, name := range quote.PriceFields[p.Kind] {
		if v, ok := p.Value(name); ok {
			vs = append(vs, Price("/data/"+name, v, d)...)
		}
	}
	for i, l := range append(append([]quote.Level(nil), p.Bids...), p.Asks...) {
		side, j := "bids", i
		if i >= len(p.Bids) {
			side, j = "asks", i-len(p.Bids)
		}
		vs = append(vs, Price(fmt.Sprintf("/data/%s/%d/price", side, j), l.Price, d)...)
	}
	if t, ok := p.Int("tick_time"); ok {
		vs = append(vs, TickTime("/data/tick_time", t, now)...)
	}
	return vs
}

// Candles is the K-line check beyond the schema: at most asked bars (and
// never more than the protocol's 1,000), timestamps strictly ascending and
// in seconds, and each bar's OHLC consistent: low ≤ open, close ≤ high.
func Candles(data []byte, asked int, now time.Time) []contract.Violation {
	var d struct {
		KlineList []quote.Candle `json:"kline_list"`
	}
	if json.Unmarshal(data, &d) != nil {
		return nil // the schema check says what is wrong
	}
	var vs []contract.Violation
	if n := len(d.KlineList); n > asked || n > quote.MaxKlineBars {
		vs = append(vs, contract.Violation{Pointer: "/data/kline_list", Keyword: "query_kline_num", Expected: fmt.Sprintf("at most %d bars", min(asked, quote.MaxKlineBars)),
			Seen: fmt.Sprintf("%d bars", n), Message: "more bars than query_kline_num asked for"})
	}
	for i, c := range d.KlineList {
		at := fmt.Sprintf("/data/kline_list/%d", i)
		if i > 0 && c.Timestamp <= d.KlineList[i-1].Timestamp {
			vs = append(vs, contract.Violation{Pointer: at + "/timestamp", Keyword: "candle_order", Expected: fmt.Sprintf("after %d", d.KlineList[i-1].Timestamp),
				Seen: fmt.Sprint(c.Timestamp), Message: "candles are not in ascending time order"})
		}
		vs = append(vs, TickTime(at+"/timestamp", c.Timestamp, now)...)
		o, cl, h, l := decimal(c.OpenPrice), decimal(c.ClosePrice), decimal(c.HighPrice), decimal(c.LowPrice)
		if o == nil || cl == nil || h == nil || l == nil {
			continue // not decimal strings: the schema or Price says so
		}
		if l.Cmp(o) > 0 || l.Cmp(cl) > 0 || o.Cmp(h) > 0 || cl.Cmp(h) > 0 || l.Cmp(h) > 0 {
			vs = append(vs, contract.Violation{Pointer: at, Keyword: "ohlc", Expected: "low ≤ open, close ≤ high",
				Seen:    fmt.Sprintf("open %s close %s high %s low %s", c.OpenPrice, c.ClosePrice, c.HighPrice, c.LowPrice),
				Message: "a candle whose open or close lies outside its low–high range"})
		}
	}
	return vs
}

// decimal parses a JSON decimal string, nil when it is none.
func decimal(raw json.RawMessage) *big.Rat {
	var s string
	if json.Unmarshal(raw, &s) != nil || !quote.IsDecimal(s) {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	return r
}
