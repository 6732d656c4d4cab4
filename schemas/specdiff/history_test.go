package specdiff_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// Ensure the August 2024 publish is read as what it was: `source` and
// `thirdPartyOrder` added to the responses of 12 order, trade-record and
// position operations (24 response fields), and, as the files also show,
// to the request bodies of 9 of them (17 request fields; OrderApiService.
// addMarketOrder already had `source`). Nothing else changed structurally
// (the other differences are prose, a new "version" header parameter and
// `source` leaving addMarketOrder's required list, which a consumer need not
// act on).
func TestHistoryAugust2024Additions(t *testing.T) {
	r := specdiff.Compare(readHistory(t, "2024-07-26.301ee13"), readHistory(t, "2024-08-01.4e60fa4"))
	if !r.Valid() {
		t.Fatalf("invalid: %s", r.Reason)
	}
	const p = "POST /global/tradeapi.app."
	responseOps := map[string]string{ // operation -> path of the record the fields were added to
		"CfdMMOrderApiService.queryHistoryCloseOrderList":  "/data/list/*",
		"CfdMMPositionApiService.queryPositionDetail":      "/data",
		"CfdWBWOrderApiService.queryHistoryCloseOrderList": "/data/list/*",
		"CfdWBWOrderApiService.queryOrderDetail":           "/data",
		"OrderApiService.queryOrderPage":                   "/data/records/*",
		"OrderApiService.queryTradeRecordPage":             "/data/list/*",
		"PositionApiService.queryPositionDetail":           "/data",
		"PositionApiService.queryPositionPage":             "/data/*",
		"SpotOrderApiService.closeTradePboOrder":           "/data",
		"SpotOrderApiService.queryOrderDetail":             "/data",
		"SpotOrderApiService.queryOrderPage":               "/data/records/*",
		"SpotOrderApiService.queryTradeRecordPage":         "/data/list/*",
	}
	requestOps := map[string][]string{
		"CfdMMOrderApiService.addMarketOrder":              {"source", "thirdPartyOrder"},
		"CfdMMOrderApiService.queryHistoryCloseOrderList":  {"source", "thirdPartyOrder"},
		"CfdWBWOrderApiService.queryHistoryCloseOrderList": {"source", "thirdPartyOrder"},
		"OrderApiService.addMarketOrder":                   {"thirdPartyOrder"},
		"OrderApiService.queryOrderPage":                   {"source", "thirdPartyOrder"},
		"OrderApiService.queryTradeRecordPage":             {"source", "thirdPartyOrder"},
		"PositionApiService.queryPositionPage":             {"source", "thirdPartyOrder"},
		"SpotOrderApiService.queryOrderPage":               {"source", "thirdPartyOrder"},
		"SpotOrderApiService.queryTradeRecordPage":         {"source", "thirdPartyOrder"},
	}
	want := map[string]bool{}
	for op, at := range responseOps {
		for _, f := range []string{"source", "thirdPartyOrder"} {
			want[fmt.Sprintf("%s%s response %s/%s added info string", p, op, at, f)] = true
		}
	}
	for op, fields := range requestOps {
		for _, f := range fields {
			want[fmt.Sprintf("%s%s request /%s added info string", p, op, f)] = true
		}
	}
	got := map[string]bool{}
	responses := 0
	for _, c := range r.Changes {
		got[fmt.Sprintf("%s %s %s %s %s %s", c.Operation, c.Location, c.Pointer, c.Change, c.Severity, c.New)] = true
		if c.Location == "response" {
			responses++
		}
	}
	assertSameSet(t, got, want)
	if responses != 24 || len(r.Changes) != 41 || r.Breaking() || r.Summary.ByChange["added"] != 41 {
		t.Errorf("%d response changes of %d, breaking=%v, summary %+v; want 24 of 41 additions, none breaking",
			responses, len(r.Changes), r.Breaking(), r.Summary)
	}
}

// Ensure the September 2024 publish is flagged breaking for exactly what
// broke: response fields removed from addOrder and queryTradeRecordPage, a
// response field retyped, and request fields retyped (the bodies we send
// would be rejected).
func TestHistorySeptember2024Breaking(t *testing.T) {
	r := specdiff.Compare(readHistory(t, "2024-08-29.1fc364a"), readHistory(t, "2024-09-05.06f6cec"))
	if !r.Valid() {
		t.Fatalf("invalid: %s", r.Reason)
	}
	const add, page = "POST /global/tradeapi.app.OrderApiService.addOrder", "POST /global/tradeapi.app.OrderApiService.queryTradeRecordPage"
	want := map[string]bool{}
	for _, s := range []string{
		add + " request /requestNum type_changed string number",
		add + " request /requestPrice type_changed string number",
		add + " response /data/interest removed string ",
		add + " response /data/openOrClose removed integer(int32) ",
		add + " response /data/openPrice removed string ",
		add + " response /data/positionId removed integer(int64) ",
		add + " response /data/profit removed string ",
		add + " response /data/stopLoss removed string ",
		add + " response /data/takeProfit removed string ",
		page + " request /direction type_changed integer string",
		page + " request /orderType type_changed integer string",
		page + " request /tradeType type_changed integer string",
		page + " response /data/list/*/executeMargin removed string ",
		page + " response /data/list/*/numberStatisticMode type_changed string integer",
		page + " response /data/list/*/occupyMargin removed string ",
		page + " response /data/list/*/originalRequestPrice removed string ",
		page + " response /data/list/*/positionId removed integer(int64) ",
		page + " response /data/list/*/realExecuteNum removed string ",
	} {
		want[s] = true
	}
	got := map[string]bool{}
	ops := map[string]bool{}
	for _, c := range r.Changes {
		ops[c.Operation] = true
		if c.Severity == "breaking" {
			got[fmt.Sprintf("%s %s %s %s %s %s", c.Operation, c.Location, c.Pointer, c.Change, c.Old, c.New)] = true
		}
	}
	assertSameSet(t, got, want)
	if !r.Breaking() || r.Summary.BySeverity["breaking"] != len(want) {
		t.Errorf("Breaking()=%v, summary %+v; want %d breaking", r.Breaking(), r.Summary, len(want))
	}
	if len(ops) != 2 || !ops[add] || !ops[page] {
		t.Errorf("changes in %v, want only addOrder and queryTradeRecordPage", ops)
	}
}

// Ensure an unchanged spec, and a truncated copy of a real one (which still
// parses as YAML), are told apart: no changes for the first, invalid for the
// second, never "operations removed".
func TestHistoryIdenticalAndTruncated(t *testing.T) {
	raw := readHistory(t, "2024-08-01.4e60fa4")
	r := specdiff.Compare(raw, raw)
	if !r.Valid() || len(r.Changes) != 0 || r.Breaking() {
		t.Fatalf("identical specs: valid=%v changes=%d", r.Valid(), len(r.Changes))
	}
	for _, frac := range []float64{0.1, 0.5, 0.8, 0.99} {
		cut := int(float64(len(raw)) * frac)
		_, err := specdiff.Load(raw[:cut])
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %.0f%% (byte %d): Load error %v, want a truncation", frac*100, cut, err)
		}
	}
}

func assertSameSet(t *testing.T, got, want map[string]bool) {
	t.Helper()
	for s := range want {
		if !got[s] {
			t.Errorf("missing: %s", s)
		}
	}
	for s := range got {
		if !want[s] {
			t.Errorf("unexpected: %s", s)
		}
	}
}

// BenchmarkLoadDiffHistory measures what the spec-watch job pays per poll:
// loading two 1.8 MB versions of the Client API spec and diffing them.
func BenchmarkLoadDiffHistory(b *testing.B) {
	oldRaw, newRaw := readHistory(b, "2024-08-29.1fc364a"), readHistory(b, "2024-09-05.06f6cec")
	b.SetBytes(int64(len(oldRaw) + len(newRaw)))
	b.ReportAllocs()
	for b.Loop() {
		if r := specdiff.Compare(oldRaw, newRaw); !r.Valid() {
			b.Fatal(r.Reason)
		}
	}
}

// BenchmarkDiffHistory isolates the diff from loading.
func BenchmarkDiffHistory(b *testing.B) {
	oldSpec := mustLoad(b, readHistory(b, "2024-08-29.1fc364a"))
	newSpec := mustLoad(b, readHistory(b, "2024-09-05.06f6cec"))
	b.ReportAllocs()
	for b.Loop() {
		specdiff.Diff(oldSpec, newSpec)
	}
}
