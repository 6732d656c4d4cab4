package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post calls the receiver as the vendor does and returns the envelope's
// code and the HTTP status.
func post(t *testing.T, h http.Handler, path, body string, headers bool) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if headers {
		req.Header.Set("trace", "t-1")
		req.Header.Set("companyId", "439")
		req.Header.Set("timestamp", "1700000000000")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var env struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &env)
	return w.Code, env.Code
}

const (
	testAccount = `"thirdServerCode":"t","userName":"86000001","currency":"USD"`
	adjustOK    = `{` + testAccount + `,"bizType":1,"operationType":"OPEN_POSITION","amount":"1.00","amountDigits":2,"orderId":1,"requestUniqueNo":"u1","requestTime":1,"ip":"192.0.2.1"}`
	cancelU1    = `{` + testAccount + `,"bizType":1,"amount":"1.00","amountDigits":2,"orderId":1,"requestUniqueNo":"c1","reverseRequestUniqueNo":"u1","requestTime":1,"ip":"192.0.2.1","cancelRemark":"x"}`
)

// Ensure the reference receiver refuses what the vendor would never send,
// and that a cancel reverses its adjustment once however often it comes
// (the vendor retries the cancel call).
func TestWebhookReceiverEdges(t *testing.T) {
	if _, err := NewWebhookReceiver(ReceiverOptions{Scenario: "nope"}); err == nil || !strings.Contains(err.Error(), "unknown receiver scenario") {
		t.Errorf("unknown scenario: %v", err)
	}
	h, err := NewWebhookReceiver(ReceiverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, h, "/nowhere", "{}", true); status != http.StatusNotFound {
		t.Errorf("unknown path: HTTP %d", status)
	}
	if _, code := post(t, h, webhookAdjustPath, adjustOK, false); code != codeBadRequest {
		t.Errorf("no vendor headers: code %q, want %s", code, codeBadRequest)
	}
	if _, code := post(t, h, webhookAdjustPath, "{not json", true); code != codeBadRequest {
		t.Errorf("not JSON: code %q", code)
	}
	if _, code := post(t, h, webhookAdjustPath, adjustOK, true); code != "0" {
		t.Fatalf("adjustment: code %q", code)
	}
	for i := 0; i < 2; i++ {
		if _, code := post(t, h, webhookCancelPath, cancelU1, true); code != "0" {
			t.Errorf("cancel #%d: code %q", i+1, code)
		}
	}
	if got := h.balances[receiverAccount{DefaultWebhookUser, DefaultWebhookCurrency}].FloatString(2); got != defaultWebhookBalance {
		t.Errorf("balance after an adjustment cancelled twice: %s, want %s", got, defaultWebhookBalance)
	}
}

// Ensure the reference receiver adds a NORMAL_CLOSE's amount back to the
// balance, and that the close-takes-amount scenario takes it instead: the
// two sides of the verifier's normal-close check.
func TestWebhookReceiverNormalClose(t *testing.T) {
	const closeU2 = `{` + testAccount + `,"bizType":2,"operationType":"NORMAL_CLOSE","amount":"1.00","amountDigits":2,"orderId":1,"requestUniqueNo":"u2","requestTime":1,"ip":"192.0.2.1"}`
	for scenario, want := range map[string]string{"nominal": "10000.00", "close-takes-amount": "9998.00"} {
		h, err := NewWebhookReceiver(ReceiverOptions{Scenario: scenario})
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{adjustOK, closeU2} {
			if _, code := post(t, h, webhookAdjustPath, body, true); code != "0" {
				t.Fatalf("%s: code %q for %s", scenario, code, body)
			}
		}
		if got := h.balances[receiverAccount{DefaultWebhookUser, DefaultWebhookCurrency}].FloatString(2); got != want {
			t.Errorf("%s: balance after an open and its close: %s, want %s", scenario, got, want)
		}
	}
}
