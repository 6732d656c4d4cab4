package check

import (
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// Ensure each trading check holds exactly when its promise is kept and
// names the pointer and keyword of the broken promise otherwise.
func TestTradeChecks(t *testing.T) {
	cases := []struct {
		name string
		got  int // violations
	}{
		{"buy filled at the request", len(Slippage(true, 100, 100))},
		{"buy filled within the tolerance", len(Slippage(true, 100, 100.09))},
		{"sell filled better", len(Slippage(false, 100, 101))},
		{"position listed", len(PositionListed(true, 1, 5))},
		{"position closed", len(PositionClosed(false, 1))},
		{"fee booked", len(FeeBooked(true, 1, "0.5"))},
		{"balance moved to the cent", len(BalanceMoved(100, 99.51, -0.49, 2))},
		{"order as left", len(OrderState(true, 1, 1, 1, "100", "100"))},
		{"nothing left", len(Leftover(nil))},
	}
	for _, c := range cases {
		if c.got != 0 {
			t.Errorf("%s: %d violations, want none", c.name, c.got)
		}
	}
	for _, c := range []struct {
		name             string
		pointer, keyword string
		got              func() (string, string, int)
	}{
		{"buy filled worse", "/data/executePrice", "slippage", wrap(Slippage(true, 100, 101))},
		{"sell filled worse", "/data/executePrice", "slippage", wrap(Slippage(false, 100, 99))},
		{"position missing", "/data", "position_listed", wrap(PositionListed(false, 7, 5))},
		{"position still open", "/data", "position_closed", wrap(PositionClosed(true, 7))},
		{"fee missing", "/data/records", "fee_booked", wrap(FeeBooked(false, 7, "0.5"))},
		{"balance off", "/data/balance", "balance_moved", wrap(BalanceMoved(100, 99, -0.49, 2))},
		{"order missing", "/data/records", "order_listed", wrap(OrderState(false, 7, 1, 0, "", ""))},
		{"order status", "/data/records/status", "order_status", wrap(OrderState(true, 7, 4, 1, "", ""))},
		{"order price", "/data/records/requestPrice", "order_price", wrap(OrderState(true, 7, 1, 1, "97", "98"))},
		{"leftovers", "/data", "leftover", wrap(Leftover([]string{"a", "b"}))},
	} {
		p, k, n := c.got()
		if n == 0 || p != c.pointer || k != c.keyword {
			t.Errorf("%s: %d violations at %q [%s], want %s [%s]", c.name, n, p, k, c.pointer, c.keyword)
		}
	}
}

// wrap defers reading a check's first violation.
func wrap(vs []contract.Violation) func() (string, string, int) {
	return func() (string, string, int) {
		if len(vs) == 0 {
			return "", "", 0
		}
		return vs[0].Pointer, vs[0].Keyword, len(vs)
	}
}
