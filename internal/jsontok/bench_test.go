package jsontok

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// listBody is a 10,000-item list shaped like getSymbolBaseList.
func listBody() []byte {
	var b strings.Builder
	b.WriteString(`{"bizCode":"","code":"0","msg":"Success","tm":1677654224398,"ok":true,"fail":false,"data":[`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"symbolId":%d,"symbolName":"BINAN_S%d_USDT","baseCurrency":"S%d","quoteCurrency":"USDT",`+
			`"pricePrecision":4,"volumePrecision":2,"minVolume":"0.01","maxVolume":"10000","status":1,"type":2,`+
			`"remark":"line \"%d\"\n","tradeSwitch":true,"sort":%d,"feeRate":0.0015}`, 100000+i, i, i, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkTokenize compares one strict pass over a 10,000-item list with a
// bare encoding/json decode of the same bytes into any, in one run; the
// ratio metric is the tokenizer's time over the decode's.
func BenchmarkTokenize(b *testing.B) {
	body := listBody()
	var bare time.Duration
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
		bare = time.Since(start) / time.Duration(b.N)
	})
	b.Run("jsontok", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		var tk Tokenizer
		start := time.Now()
		for b.Loop() {
			tk.Reset(body, Options{})
			for {
				_, err := tk.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		if bare > 0 {
			b.ReportMetric(float64(time.Since(start)/time.Duration(b.N))/float64(bare), "x-bare-decode")
		}
	})
}

// BenchmarkIndent indents the 10,000-item list (2.7 MB) as json.Indent
// and as AppendIndent do (the same bytes: see
// TestAppendIndentMatchesEncodingJSON); x-encoding-json is AppendIndent's
// time over json.Indent's in the same run.
func BenchmarkIndent(b *testing.B) {
	body := listBody()
	var std time.Duration
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		var out bytes.Buffer
		start := time.Now()
		for b.Loop() {
			out.Reset()
			if err := json.Indent(&out, body, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
		std = time.Since(start) / time.Duration(b.N)
	})
	b.Run("jsontok", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		dst := make([]byte, 0, 2*len(body))
		start := time.Now()
		for b.Loop() {
			if _, err := AppendIndent(dst[:0], body, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
		if std > 0 {
			b.ReportMetric(float64(time.Since(start)/time.Duration(b.N))/float64(std), "x-encoding-json")
		}
	})
}
