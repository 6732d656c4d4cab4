package runner

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/suites"
)

// simulatorQuoteSymbols are the simulator's first two symbols (EURUSD and
// GBPUSD, spot), which the quote specs subscribe to when the run checks it.
var simulatorQuoteSymbols = []quote.Symbol{{SymbolID: 1001, TradeType: 5, TradeMode: 1}, {SymbolID: 1002, TradeType: 5, TradeMode: 1}}

// websocketTarget is where the websocket specs connect: the server root
// with a websocket scheme, under the HTTP client's TLS policy, with the
// target's host as the only one a socket may reach.
func websocketTarget(target string, opts Options, red *redact.Redactor) (*suites.WebsocketTarget, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, usagef("target %q: %v", target, err)
	}
	scheme := "wss"
	if u.Scheme == "http" {
		scheme = "ws"
	}
	syms, err := parseQuoteSymbols(opts.QuoteSymbols)
	if err != nil {
		return nil, usagef("MM_QUOTE_SYMBOLS: %v", err)
	}
	if len(syms) == 0 && opts.BaseURL == "" {
		syms = simulatorQuoteSymbols
	}
	return &suites.WebsocketTarget{
		Root: scheme + "://" + u.Host,
		Config: wsclient.Config{
			HTTPClient:       mmapi.NewHTTPClient(opts.Insecure),
			Host:             u.Host,
			HandshakeTimeout: opts.Timeout,
			MaxFrameBytes:    opts.MaxFrameBytes,
			Redactor:         red,
		},
		QuoteSymbols: syms,
	}, nil
}

// parseQuoteSymbols reads "1001:5:1,1002:5:1" (symbol id, trade type,
// trade mode).
func parseQuoteSymbols(s string) ([]quote.Symbol, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []quote.Symbol
	for _, item := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(item), ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%q: want symbolId:tradeType:tradeMode, e.g. 1001:5:1", item)
		}
		id, err1 := strconv.ParseUint(parts[0], 10, 64)
		tt, err2 := strconv.Atoi(parts[1])
		tm, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("%q: want three integers, symbolId:tradeType:tradeMode", item)
		}
		out = append(out, quote.Symbol{SymbolID: id, TradeType: tt, TradeMode: tm})
	}
	if len(out) > quote.MaxSymbols {
		return nil, fmt.Errorf("%d symbols; a quote subscription takes at most %d", len(out), quote.MaxSymbols)
	}
	return out, nil
}

// slowLabel marks specs that take more than a few seconds by design (the
// quote socket's 35 s survival): they run only when the label filter names
// the label, never in the default suite.
const slowLabel = "slow"

// withoutSlow is the label filter the run applies: filter, and not slow,
// unless filter itself mentions slow.
func withoutSlow(filter string) string {
	if slices.Contains(labelWords(filter), slowLabel) {
		return filter
	}
	if strings.TrimSpace(filter) == "" {
		return "!" + slowLabel
	}
	return "(" + filter + ") && !" + slowLabel
}

// labelWords splits a label filter into its label names.
func labelWords(filter string) []string {
	return strings.FieldsFunc(filter, func(r rune) bool { return strings.ContainsRune("!&|(), \t", r) })
}
