package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/schemas"
)

// recorder keeps every request body the verifier sent, by path.
type recorder struct {
	next   http.Handler
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], body)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

// Ensure every check passes against the reference receiver, and that every
// request the verifier sends satisfies the endpoint's request schema,
// except the fields the negative checks break on purpose, which break
// exactly the rule they test. (One Ginkgo suite per test binary: this is
// the package's only RunSpecs; the command's tests run the binary.)
func TestVerifyReferenceReceiver(t *testing.T) {
	receiver, err := simulator.NewWebhookReceiver(simulator.ReceiverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: receiver, bodies: map[string][][]byte{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	v, err := New(Config{URL: u, HTTP: srv.Client(), CompanyID: "439", UserName: simulator.DefaultWebhookUser,
		Currency: simulator.DefaultWebhookCurrency, ThirdServerCode: "mmcontract", Amount: "1.00",
		Schemas: set, Redactor: redact.New(redact.DefaultConfig())})
	if err != nil {
		t.Fatal(err)
	}
	Register(v)
	var report types.Report
	ginkgo.ReportAfterSuite("capture", func(r types.Report) { report = r })
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.RandomSeed = 1
	reporterConfig.Succinct = true
	if !ginkgo.RunSpecs(t, "webhook verify", suiteConfig, reporterConfig) {
		for _, s := range report.SpecReports {
			if s.Failed() {
				t.Errorf("%s: %s", s.FullText(), s.Failure.Message)
			}
		}
	}
	if n := report.PreRunStats.SpecsThatWillRun; n != len(specs) {
		t.Errorf("%d specs ran, want %d", n, len(specs))
	}

	// The rules the negative checks break on purpose, by request field.
	onPurpose := map[string]bool{"/bizType": true, "/operationType": true}
	for _, e := range Endpoints {
		bodies := rec.bodies[e.Path]
		if len(bodies) == 0 {
			t.Errorf("%s was never called", e.Name)
		}
		for _, b := range bodies {
			vs, err := set.ValidateRequest(Family, e.Name, b)
			if err != nil {
				t.Fatal(err)
			}
			for _, viol := range vs {
				if !onPurpose[viol.Pointer] || viol.Keyword != "enum" {
					t.Errorf("%s request %s: %s %s: %s", e.Name, b, viol.Pointer, viol.Keyword, viol.Message)
				}
			}
		}
	}
	// The negative bodies exist: the checks above judged them.
	var undocumented int
	for _, b := range rec.bodies[Adjust.Path] {
		var req struct {
			BizType       int    `json:"bizType"`
			OperationType string `json:"operationType"`
			Amount        string `json:"amount"`
		}
		_ = json.Unmarshal(b, &req)
		if req.BizType == bizTypeUndocumented || strings.HasPrefix(req.OperationType, "NOT_") || strings.HasPrefix(req.Amount, "-") {
			undocumented++
		}
	}
	if undocumented < 4 {
		t.Errorf("%d adjustments broke a rule on purpose; want the unknown bizType, undocumented operationType, and two negative amounts", undocumented)
	}
}

// Ensure only a receiver on this machine may be changed without
// --allow-mutations.
func TestLoopback(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://127.1.2.3/x": true, "http://[::1]:9/": true, "http://localhost/": true,
		"https://LOCALHOST": true, "https://wallet.example.com": false, "http://10.0.0.1": false,
		"http://127.0.0.1.example.com": false, "http://localhost.example.com": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Loopback(u); got != want {
			t.Errorf("Loopback(%s) = %t, want %t", raw, got, want)
		}
	}
}

// Ensure --amount takes positive plain decimals only, and counts their
// decimal places as amountDigits.
func TestAmountDigits(t *testing.T) {
	for _, tt := range []struct {
		in     string
		digits int
		bad    bool
	}{
		{"1.00", 2, false}, {"5", 0, false}, {"0.125", 3, false},
		{"0", 0, true}, {"-1", 0, true}, {"1e3", 0, true}, {"1/2", 0, true}, {"", 0, true}, {"1.", 0, true}, {" 1", 0, true},
	} {
		_, digits, err := amountDigits(tt.in)
		if (err != nil) != tt.bad || digits != tt.digits {
			t.Errorf("amountDigits(%q) = %d, %v; want %d, error %t", tt.in, digits, err, tt.digits, tt.bad)
		}
	}
}
