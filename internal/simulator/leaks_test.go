package simulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The leak scenarios' checks join TestFaultScenarios' table.
func init() {
	u := DefaultUser()
	cut := func(frac func(n int) int) func(t *testing.T, h *harness, tok string) {
		return func(t *testing.T, h *harness, tok string) {
			rep := h.do(req{path: global(findCustomerInfo), token: tok})
			h.sim.SetScenario("nominal")
			full := h.do(req{path: global(findCustomerInfo), token: tok})
			if rep.status != 200 || json.Valid(rep.body) || len(rep.body) != frac(len(full.body)) ||
				!bytes.Contains(rep.body, []byte(u.Email)) {
				t.Errorf("status %d, %d of %d bytes: %.100s", rep.status, len(rep.body), len(full.body), rep.body)
			}
		}
	}
	faultChecks["truncated-90"] = cut(func(n int) int { return n * 9 / 10 })
	faultChecks["cut-near-end"] = cut(func(n int) int { return n - 2 })
	faultChecks["over-cap-profile"] = func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 200 || len(rep.body) <= 17<<20 || !json.Valid(rep.body) || !bytes.Contains(rep.body[len(rep.body)-4096:], []byte(u.IDCard)) {
			t.Errorf("status %d, %d bytes, valid %v", rep.status, len(rep.body), json.Valid(rep.body))
		}
	}
	faultChecks["html-profile"] = func(t *testing.T, h *harness, tok string) {
		statusCheck(500, "text/html")(t, h, tok)
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		for _, v := range []string{u.Email, u.Phone, u.Name, u.FirstName, u.IDCard, u.PostalCode} {
			if !bytes.Contains(rep.body, []byte(v)) {
				t.Errorf("the page does not echo %q", v)
			}
		}
	}
	faultChecks["msg-pii"] = func(t *testing.T, h *harness, tok string) {
		env := h.do(req{path: global(findCustomerInfo), token: tok}).envelope(t)
		msg, _ := env["msg"].(string)
		params, _ := env["msgParams"].([]any)
		for _, v := range []string{u.Email, u.Phone, u.IDCard} {
			if !strings.Contains(msg, v) {
				t.Errorf("msg %q does not quote %q", msg, v)
			}
		}
		if env["ok"] != false || len(params) != 3 {
			t.Errorf("ok %v, msgParams %v", env["ok"], params)
		}
	}
	faultChecks["hostile-code"] = func(t *testing.T, h *harness, tok string) {
		env := h.do(req{path: global(findCustomerInfo), token: tok}).envelope(t)
		if env["code"] != HostileCode || !strings.Contains(env["msg"].(string), "\x1b[2J") || env["fail"] != true {
			t.Errorf("envelope %v", env)
		}
	}
}
