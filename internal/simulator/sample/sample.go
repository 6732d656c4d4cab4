// Package sample serves real simulator response bodies, in process, to
// benchmarks and tests that must measure the bytes a run actually sees
// rather than a hand-written imitation.
package sample

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
)

// Bizcodes of the sampled operations.
const (
	FindCustomerInfo  = "customer.app.CustomerWebApiService.findCustomerInfo"
	GetSymbolBaseList = "config.app.AppSymbolDubboService.getSymbolBaseList"
	login             = "customer.app.CustomerWebApiService.login"
)

// FindCustomerInfoBody returns the simulator's nominal findCustomerInfo body for
// its demo user.
func FindCustomerInfoBody() ([]byte, error) {
	sim, err := simulator.New(simulator.Options{RatePerMinute: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	defer sim.Close()
	u := simulator.DefaultUser()
	sum := md5.Sum([]byte(u.Password))
	body, err := call(sim, "/api/login/"+login, "", fmt.Sprintf(`{"type":1,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`,
		u.LoginName, hex.EncodeToString(sum[:])))
	if err != nil {
		return nil, err
	}
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Data.Token == "" {
		return nil, fmt.Errorf("login: no token in %.200s", body)
	}
	return call(sim, "/api/global/"+FindCustomerInfo, env.Data.Token, "{}")
}

// SymbolBaseListBody returns the simulator's getSymbolBaseList body with n
// symbols.
func SymbolBaseListBody(n int) ([]byte, error) {
	sim, err := simulator.New(simulator.Options{RatePerMinute: 1 << 30, SymbolCount: n})
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	defer sim.Close()
	return call(sim, "/api/global/"+GetSymbolBaseList, "", `{"customerGroupId":1}`)
}

// call serves one request through the handler (no network) and returns the
// body of a successful envelope.
func call(sim *simulator.Simulator, path, token, body string) ([]byte, error) {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("companyId", simulator.DefaultCompanyID)
	r.Header.Set("trace", "t-sample-1717243200")
	// A fresh timestamp: the gateway refuses requests outside its window.
	r.Header.Set("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("token", token)
	}
	w := httptest.NewRecorder()
	sim.ServeHTTP(w, r)
	out := w.Body.Bytes()
	var env struct {
		Code string `json:"code"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(out, &env) != nil || env.Code != "0" {
		return nil, fmt.Errorf("%s: status %d: %.200s", path, w.Code, out)
	}
	return out, nil
}

// Compare runs two sub-benchmarks in one run: "encoding-json", a bare
// encoding/json decode of body into any (the reference every contract-check
// figure is stated against), then name, which runs f. The second reports
// its time and its bytes allocated relative to the first ("x-bare-time",
// "x-bare-alloc"; allocation is the proxy for peak memory), so a reader
// sees the ratio without arithmetic. Run both together (-bench 'X$' or
// 'X/'), or the ratios are omitted.
func Compare(b *testing.B, body []byte, name string, f func() error) {
	b.Helper()
	var bareNs, bareAlloc float64
	b.Run("encoding-json", func(b *testing.B) {
		bareNs, bareAlloc = measure(b, body, func() error {
			var v any
			return json.Unmarshal(body, &v)
		})
	})
	b.Run(name, func(b *testing.B) {
		ns, alloc := measure(b, body, f)
		if bareNs > 0 {
			b.ReportMetric(ns/bareNs, "x-bare-time")
			b.ReportMetric(alloc/bareAlloc, "x-bare-alloc")
		}
	})
}

func measure(b *testing.B, body []byte, f func() error) (nsPerOp, allocPerOp float64) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	n := float64(b.N)
	return float64(elapsed.Nanoseconds()) / n, float64(after.TotalAlloc-before.TotalAlloc) / n
}

// Body is a named sample body.
type Body struct {
	Name string
	Body []byte
}

var (
	bodiesOnce sync.Once
	bodies     []Body
	bodiesErr  error
)

// Bodies returns the two bodies the Performance figures are stated on:
// findCustomerInfo and a 10,000-item getSymbolBaseList, built once per
// process. It fails tb if the simulator cannot serve them.
func Bodies(tb testing.TB) []Body {
	tb.Helper()
	bodiesOnce.Do(func() {
		fci, err := FindCustomerInfoBody()
		if err != nil {
			bodiesErr = err
			return
		}
		list, err := SymbolBaseListBody(10000)
		if err != nil {
			bodiesErr = err
			return
		}
		bodies = []Body{{"findCustomerInfo", fci}, {"getSymbolBaseList-10k", list}}
	})
	if bodiesErr != nil {
		tb.Fatal(bodiesErr)
	}
	return bodies
}
