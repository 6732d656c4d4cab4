package suites

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/schemas"
)

// Frames of the trade-message and Manager push sockets as the simulator
// sends them.
const (
	benchFText = "f(12.50,120.00,9001.01,81.10,10001.50,10000.00);(900001,1.25);(900101,-1.75);"
	benchTrade = `{"trace":"x-sim00001-a1b2-c3d4-1700000000","msgCode":"trade","content":{"accountId":1000011,"companyId":439,` +
		`"customerId":100001,"tradeType":1,"bizType":"POSITION_OPEN","paramMap":{"date":"2026-12-02 06:00:00","orderType":"1",` +
		`"symbolId":"1001","dealExecuteTime":"1700000000000","orderBizType":"1","orderId":"700001","pendingId":"0","dealId":"800001",` +
		`"accountCurrency":"USDT","orderStatus":"2","dealExecuteNum":"0.10","source":"4","dealPrice":"1801.25","requestAmount":"0",` +
		`"takeProfitMsg":"","currency":"USDT","symbolName":"EURUSD","contractSize":"1","sourceExecuteVolSum":"0.10","commission":"-0.18",` +
		`"sourceExecuteVol":"0.10","direction":"2","dealAmount":"182.50","accountId":"1000011","companyId":"439","positionId":"900001",` +
		`"dealExecutePrice":"1801.25","playType":"1","orderDirection":"2","symbolDigits":"2","stopLossMsg":"","Margin":"18.25"}},"timestamp":1700000000000}`
	benchTradeDeal = `{"data":{"accountDigits":2,"accountId":1000015,"bizType":1,"companyId":439,"contractSize":"1","convertExchangeRate":"1",` +
		`"convertFee":"0.18","convertFeeDigits":2,"createTime":1700000000000,"customerGroupId":1,"customerId":100001,"customerNo":"86001175",` +
		`"digits":5,"direction":1,"executeMargin":"18.25","executeMarginCategoryId":1,"executeNum":"0.10","executePrice":"1800.25",` +
		`"executeTime":1700000000000,"fee":"0.18","feeDigits":2,"id":800000,"orderId":700000,"orderStatus":2,"pointRatio":1,` +
		`"positionId":900000,"spread":"0.5","symbolId":1001,"symbolName":"EURUSD","tradeType":5,"pnl":"1.25","source":4,` +
		`"thirdPartyOrder":"","updateTime":1700000000000},"eventType":"trade_deal"}`
)

// BenchmarkFeedFrames measures trade-message and Manager push frames
// checked per second exactly as their specs check them (openMsgFrameCheck,
// managerEventCheck): an f(…) text frame parsed, made an object and
// validated; a trade frame and a trade_deal event validated against the
// frame schema and their kind's. frames/s is the figure; x-bare-decode is
// the time over a bare encoding/json decode of the same JSON (of the text
// frame's parsed form).
func BenchmarkFeedFrames(b *testing.B) {
	set, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	e := &Env{Schemas: set, Redactor: redact.New(redact.DefaultConfig())}
	fDoc, _ := openMsgDoc(socketFrame{kind: "f", raw: []byte(benchFText)})
	for _, tc := range []struct {
		name  string
		frame socketFrame
		bare  []byte
		check func(socketFrame) []contract.Violation
	}{
		{"openmsg-f-text", socketFrame{kind: "f", raw: []byte(benchFText)}, fDoc, e.openMsgFrameCheck},
		{"openmsg-trade-json", socketFrame{kind: "trade", raw: []byte(benchTrade)}, []byte(benchTrade), e.openMsgFrameCheck},
		{"managerpush-trade_deal", socketFrame{kind: "trade_deal", raw: []byte(benchTradeDeal)}, []byte(benchTradeDeal), e.managerEventCheck},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if vs := tc.check(tc.frame); len(vs) > 0 {
				b.Fatalf("the frame breaks its checks: %+v", vs)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				tc.check(tc.frame)
				n++
			}
			per := b.Elapsed() / time.Duration(n)
			// The same number of bare decodes right after, so that both
			// meet the same load on a shared machine.
			start := time.Now()
			for range n {
				var v any
				_ = json.Unmarshal(tc.bare, &v)
			}
			bare := time.Since(start) / time.Duration(n)
			b.ReportMetric(float64(time.Second)/float64(per), "frames/s")
			b.ReportMetric(float64(per)/float64(bare), "x-bare-decode")
		})
	}
}
