package suites

import (
	"encoding/json"
	"strings"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/schemas"
)

// The Manager API's quote REST endpoints (GET /quote-b-api/… and
// /quote-stock-b-api/…): checked like every Manager operation, read-only,
// labelled "quote" besides, against their own envelope {ret, msg, trace,
// data} (the catalog's envelope field says so; check.Envelope picks it).

// quoteLabel marks the quote REST specs.
const quoteLabel = "quote"

// quoteCodes are the codes each quote service is asked for: a forex pair
// and a stock every tenant quotes (an unquoted code only empties the list,
// which the data schema allows).
var quoteCodes = map[string]string{"quote-b-api": "EURUSD", "quote-stock-b-api": "AAPL"}

// quoteKlineQuery is one K-line query: the latest two 1-minute bars,
// unadjusted.
func quoteKlineQuery(code string) map[string]any {
	return map[string]any{"code": code, "kline_type": 1, "kline_timestamp_end": 0, "query_kline_num": 2, "adjust_type": 0}
}

// managerQuoteOperations are the catalog's quote REST operations of the
// Manager family, each with the request the endpoint documents (the client
// sets its trace per attempt).
func managerQuoteOperations(set *schemas.Set) []Operation {
	var ops []Operation
	for _, op := range set.Operations("manager") {
		if op.Envelope != schemas.EnvelopeQuote {
			continue
		}
		service, endpoint, _ := strings.Cut(op.BizType, "/")
		code := quoteCodes[service]
		var data map[string]any
		switch endpoint {
		case "depth-tick", "trade-tick":
			data = map[string]any{"symbol_list": []any{map[string]any{"code": code}}}
		case "kline":
			data = quoteKlineQuery(code)
		default: // batch-kline
			data = map[string]any{"data_list": []any{quoteKlineQuery(code)}}
		}
		op.Area, op.ReadOnly = "market", true
		ops = append(ops, Operation{Operation: op, Body: map[string]any{"data": data}})
	}
	return ops
}

// quoteCall is the client operation of a quote REST endpoint: the service
// is the path, the endpoint the name, and the request goes in the "query"
// parameter where the spec documents one (not batch-kline's body).
func quoteCall(o Operation, op mmapi.Operation) mmapi.Operation {
	op.Path, op.BizType, _ = strings.Cut(o.BizType, "/")
	var params map[string]json.RawMessage
	_ = json.Unmarshal(o.Request, &params)
	_, op.QueryBody = params["query"]
	op.Quote = true
	return op
}
