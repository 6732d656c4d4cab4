package simulator

import (
	"encoding/json"
	"fmt"
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
