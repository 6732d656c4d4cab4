package simulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// tradeCall calls a trading operation with group tradeApi and returns the
// envelope.
func tradeCall(t *testing.T, h *harness, tok, biz, body string) map[string]any {
	t.Helper()
	return h.do(req{path: global(biz), token: tok, body: body, headers: map[string]string{"group": "tradeApi"}}).envelope(t)
}

// Ensure the book refuses an unscaled requestPrice or stopLoss with the
// gateway's parameter error, and accepts the scaled integer.
func TestTradeScaledPrices(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	sym := makeSymbols(DefaultSymbolCount)[17] // the first full-margin symbol
	order := func(price, extra string) map[string]any {
		return tradeCall(t, h, tok, cfdMMOrder+"addMarketOrder", fmt.Sprintf(
			`{"tradeType":1,"bizType":1,"direction":1,"symbolId":%d,"requestTime":1,"requestPrice":%s,"requestNum":"0.01","accountCurrency":"USDT","accountDigits":2%s}`,
			sym.id, price, extra))
	}
	for _, tc := range []struct{ price, extra string }{
		{`"65000.25"`, ""}, {`65000.25`, ""}, {`"6.5e6"`, ""}, {`"6500025"`, `,"stopLoss":"64000.5"`},
	} {
		env := order(tc.price, tc.extra)
		if env["code"] != codeParamsInvalid || env["ok"] != false {
			t.Errorf("requestPrice %s%s: code %v ok %v, want %s refused", tc.price, tc.extra, env["code"], env["ok"], codeParamsInvalid)
		}
	}
	if env := order(`"6500025"`, `,"stopLoss":"6400050"`); env["code"] != codeOK {
		t.Errorf("a scaled order: code %v msg %v, want 0", env["code"], env["msg"])
	}
}

// Ensure a resting limit order fills once the moving quote crosses it, and
// the quotes are the same for the same seed.
func TestTradeLimitFillsWhenCrossed(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	sym := makeSymbols(DefaultSymbolCount)[34] // the first isolated symbol
	bid, ask := h.sim.book.quote(sym)
	if b2, a2 := newTradeBook(1).quote(sym); b2 != bid || a2 != ask {
		t.Fatalf("quote not deterministic: %v/%v vs %v/%v", bid, ask, b2, a2)
	}
	// A buy limit near the bottom of the swing: it rests, then the ask dips
	// below it within a period.
	limit := scale(referencePrice(sym)*(1-quoteAmplitude*0.9), sym.digits)
	env := tradeCall(t, h, tok, isolatedOrder+"addMarketOrder", fmt.Sprintf(
		`{"tradeType":2,"bizType":10,"direction":1,"symbolId":%d,"requestTime":1,"requestPrice":"%d","requestNum":"0.01","accountCurrency":"USDT","accountDigits":4,"entryType":1}`,
		sym.id, limit))
	if env["code"] != codeOK {
		t.Fatalf("placing the limit order: %v %v", env["code"], env["msg"])
	}
	id := env["data"].(map[string]any)["orderId"].(json.Number).String()
	for i := 0; i < 2*quotePeriod; i++ {
		page := tradeCall(t, h, tok, isolatedOrder+"queryOrderPage", `{"tradeType":2}`)
		for _, r := range page["data"].(map[string]any)["records"].([]any) {
			rec := r.(map[string]any)
			if rec["id"].(json.Number).String() == id && rec["status"] == json.Number("2") {
				return
			}
		}
	}
	t.Fatalf("the limit order at %d did not fill within %d ticks", limit, 2*quotePeriod)
}

// Ensure the book is safe for concurrent use: customers trading, listing
// and closing at once (run with -race), and that every open is accounted
// for: the positions left plus those closed equal those opened.
func TestTradeConcurrent(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	sym := makeSymbols(DefaultSymbolCount)[17]
	const workers, each = 4, 10
	done := make(chan int, workers)
	for w := 0; w < workers; w++ {
		go func() {
			closed := 0
			for i := 0; i < each; i++ {
				env := tradeCall(t, h, tok, cfdMMOrder+"addMarketOrder", fmt.Sprintf(
					`{"tradeType":1,"bizType":1,"direction":1,"symbolId":%d,"requestTime":1,"requestPrice":"0","requestNum":"0.01","accountCurrency":"USDT","accountDigits":2}`, sym.id))
				tradeCall(t, h, tok, queryPositionBiz, `{"tradeType":1}`)
				if i%2 == 0 {
					pid := env["data"].(map[string]any)["positionId"].(json.Number).String()
					c := tradeCall(t, h, tok, cfdMMOrder+"addMarketOrder", fmt.Sprintf(
						`{"tradeType":1,"bizType":2,"direction":2,"symbolId":%d,"positionId":%s,"requestTime":1,"requestPrice":"0","requestNum":"0.01","accountCurrency":"USDT","accountDigits":2}`, sym.id, pid))
					if c["code"] == codeOK {
						closed++
					}
				}
			}
			done <- closed
		}()
	}
	closed := 0
	for w := 0; w < workers; w++ {
		closed += <-done
	}
	h.sim.book.mu.Lock()
	open := len(h.sim.book.positions)
	h.sim.book.mu.Unlock()
	if open+closed != workers*each || closed != workers*each/2 {
		t.Errorf("%d open + %d closed positions, want %d opened and %d closed", open, closed, workers*each, workers*each/2)
	}
}

// Ensure a resting spot buy reserves its cash (available drops, balance
// does not) and cancelling it releases exactly that.
func TestTradeSpotReserve(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	sym := makeSymbols(DefaultSymbolCount)[0] // BTC/USDT spot
	available := func() string {
		return h.do(req{path: global(queryAccountByID), token: tok, body: `{"tradeType":5}`}).envelope(t)["data"].(map[string]any)["available"].(string)
	}
	before := available()
	env := tradeCall(t, h, tok, isolatedOrder+"addOrder", fmt.Sprintf(
		`{"tradeType":5,"bizType":13,"direction":1,"symbolId":%d,"requestTime":1,"requestPrice":"%d","requestNum":"0.01","accountCurrency":"USDT","accountDigits":4,"operationType":1,"expireType":"1"}`,
		sym.id, scale(60000, sym.digits)))
	if env["code"] != codeOK {
		t.Fatalf("placing the spot limit buy: %v %v", env["code"], env["msg"])
	}
	// 0.01 BTC at 60,000 plus the 0.1 % fee: 600.6 set aside.
	if got := available(); got != decimal(number(t, before)-600.6, 4) {
		t.Errorf("available %s after the resting buy, want %s − 600.6", got, before)
	}
	id := env["data"].(map[string]any)["orderId"].(json.Number).String()
	if c := tradeCall(t, h, tok, spotOrder+"closeTradePboOrder", `{"tradeType":5,"customerGroupId":1,"orderId":`+id+`}`); c["code"] != codeOK {
		t.Fatalf("cancelling: %v %v", c["code"], c["msg"])
	}
	if got := available(); got != before {
		t.Errorf("available %s after the cancel, want %s back", got, before)
	}
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// FuzzScaledField: whatever a client sends as a scaled price, the book
// never panics, and accepts exactly a string or number of decimal digits.
func FuzzScaledField(f *testing.F) {
	for _, s := range []string{`"167655"`, `167655`, `"1.67655"`, `1.6e5`, `"-5"`, `""`, `null`, `"99999999999999999999"`, `[1]`, `"0x10"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var body map[string]any
		dec := json.NewDecoder(strings.NewReader(`{"requestPrice":` + raw + `}`))
		dec.UseNumber()
		if dec.Decode(&body) != nil {
			return
		}
		n, err := scaledField(body, "requestPrice")
		var text string
		switch v := body["requestPrice"].(type) {
		case string:
			text = v
		case json.Number:
			text = v.String()
		}
		digits := text != "" && strings.Trim(text, "0123456789") == ""
		if err == nil && (!digits || strconv.FormatInt(n, 10) != strings.TrimLeft(text, "0") && n != 0) {
			t.Errorf("%s accepted as %d", raw, n)
		}
		if err == errUnscaledPrice && digits && len(text) < 19 {
			t.Errorf("%s refused, though it is a scaled integer", raw)
		}
		_, _ = volumeField(body, "requestPrice")
	})
}
