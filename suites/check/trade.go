package check

import (
	"fmt"
	"math"
	"strconv"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// The checks of the trading lifecycles: each compares what a step of an
// order lifecycle saw with what the earlier steps lead the contract to
// promise, and names the pointer of the response that broke the promise.

// RefusedTradeStep is the message of a lifecycle step's vendor_error.
const RefusedTradeStep = "the vendor refused a step of the order lifecycle that the earlier steps say must succeed"

// MaxSlippage is how much worse than requestPrice a market order may fill
// (a fraction of the price) before the fill breaks the contract.
const MaxSlippage = 0.001

// Slippage is the check of a market fill: a buy may not execute above, a
// sell not below, the requested price by more than MaxSlippage.
func Slippage(buy bool, requested, executed float64) []contract.Violation {
	worse := executed - requested
	if !buy {
		worse = -worse
	}
	if worse <= requested*MaxSlippage {
		return nil
	}
	return []contract.Violation{{Pointer: "/data/executePrice", Keyword: "slippage",
		Expected: fmt.Sprintf("at most %s", strconv.FormatFloat(requested*(1+sign(buy)*MaxSlippage), 'f', -1, 64)),
		Seen:     strconv.FormatFloat(executed, 'f', -1, 64),
		Message:  fmt.Sprintf("the market order filled %.2f %% worse than its requestPrice", 100*worse/requested)}}
}

func sign(buy bool) float64 {
	if buy {
		return 1
	}
	return -1
}

// PositionListed is the check that a filled order's position is listed
// within polls reads of the position list.
func PositionListed(listed bool, positionID int64, polls int) []contract.Violation {
	if listed {
		return nil
	}
	return []contract.Violation{{Pointer: "/data", Keyword: "position_listed",
		Expected: fmt.Sprintf("positionId %d", positionID), Seen: "absent",
		Message: fmt.Sprintf("the position of a filled order was not listed after %d reads of the position list", polls)}}
}

// PositionClosed is the check that a position a close reported as done is
// no longer listed.
func PositionClosed(stillListed bool, positionID int64) []contract.Violation {
	if !stillListed {
		return nil
	}
	return []contract.Violation{{Pointer: "/data", Keyword: "position_closed",
		Expected: fmt.Sprintf("no positionId %d", positionID), Seen: fmt.Sprintf("positionId %d still open", positionID),
		Message: "the close answered success but the position is still open"}}
}

// FeeBooked is the check that an order's fee appears in the capital flows.
func FeeBooked(booked bool, orderID int64, fee string) []contract.Violation {
	if booked {
		return nil
	}
	return []contract.Violation{{Pointer: "/data/records", Keyword: "fee_booked",
		Expected: fmt.Sprintf("a record of orderId %d with amountOut %s", orderID, fee), Seen: "none",
		Message: "the order reported a fee that the capital flows do not show"}}
}

// BalanceMoved is the check that a balance moved by exactly want (profit
// minus fees), to the account's precision.
func BalanceMoved(before, after, want float64, digits int) []contract.Violation {
	unit := math.Pow10(-digits)
	if math.Abs(after-before-want) <= unit*1.5 {
		return nil
	}
	return []contract.Violation{{Pointer: "/data/balance", Keyword: "balance_moved",
		Expected: strconv.FormatFloat(before+want, 'f', digits, 64), Seen: strconv.FormatFloat(after, 'f', digits, 64),
		Message: fmt.Sprintf("the balance moved by %s; the lifecycle's profit minus fees is %s",
			strconv.FormatFloat(after-before, 'f', digits, 64), strconv.FormatFloat(want, 'f', digits, 64))}}
}

// OrderState is the check that an order shows the status (and, when
// price is non-empty, the scaled requestPrice) the lifecycle's last step
// left it in.
func OrderState(found bool, orderID int64, wantStatus, status int, wantPrice, price string) []contract.Violation {
	switch {
	case !found:
		return []contract.Violation{{Pointer: "/data/records", Keyword: "order_listed",
			Expected: fmt.Sprintf("orderId %d", orderID), Seen: "absent", Message: "the order is not in the order list"}}
	case status != wantStatus:
		return []contract.Violation{{Pointer: "/data/records/status", Keyword: "order_status",
			Expected: strconv.Itoa(wantStatus), Seen: strconv.Itoa(status),
			Message: fmt.Sprintf("order %d has status %d after the lifecycle's last step", orderID, status)}}
	case wantPrice != "" && price != wantPrice:
		return []contract.Violation{{Pointer: "/data/records/requestPrice", Keyword: "order_price",
			Expected: wantPrice, Seen: price, Message: fmt.Sprintf("order %d does not show its amended price", orderID)}}
	}
	return nil
}

// Leftover is the check that a mutating suite left no position or resting
// order of its own open.
func Leftover(open []string) []contract.Violation {
	if len(open) == 0 {
		return nil
	}
	vs := make([]contract.Violation, 0, len(open))
	for _, what := range open {
		vs = append(vs, contract.Violation{Pointer: "/data", Keyword: "leftover", Expected: "closed", Seen: what,
			Message: "the suite opened this and could not close it: close it by hand"})
	}
	return vs
}
