package webhook

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// decimal is the form of the Webhook API's amounts: strings of a plain
// decimal number (NOTES §2.4), never exponents or fractions.
var decimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// CheckAmount reports whether s is a positive decimal amount, such as
// 1.00, that adjustments can move.
func CheckAmount(s string) error {
	_, _, err := amountDigits(s)
	return err
}

// amountDigits parses a positive decimal amount and counts its decimal
// places, the amountDigits that travels with it.
func amountDigits(s string) (*big.Rat, int, error) {
	r, err := parseAmount(s)
	if err != nil {
		return nil, 0, err
	}
	if r.Sign() <= 0 {
		return nil, 0, fmt.Errorf("amount %q must be positive", s)
	}
	digits := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		digits = len(s) - i - 1
	}
	return r, digits, nil
}

func parseAmount(s string) (*big.Rat, error) {
	if !decimal.MatchString(s) {
		return nil, fmt.Errorf("amount %q is not a decimal number such as 1.00", s)
	}
	r, _ := new(big.Rat).SetString(s) // every match parses
	return r, nil
}

// balanceOf reads get-user-amount's data.amount, the balance every mutating
// check is judged by.
func balanceOf(data json.RawMessage) (*big.Rat, string, error) {
	var d struct {
		Amount json.RawMessage `json:"amount"`
	}
	if err := json.Unmarshal(data, &d); err != nil || len(d.Amount) == 0 {
		return nil, "", fmt.Errorf("data has no amount")
	}
	var s string
	if err := json.Unmarshal(d.Amount, &s); err != nil {
		return nil, "", fmt.Errorf("data.amount is %s, not a string", d.Amount)
	}
	r, err := parseAmount(s)
	return r, s, err
}
