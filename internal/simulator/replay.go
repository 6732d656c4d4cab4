package simulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// The replay window. The vendor's gateway wants a timestamp header (ms
// epoch) on every Client and Manager API request, and its error table has a
// code for a request that came too late; the Open API documents the window
// itself, recvWindow, 5000 ms in its examples, which VerifyOpenAPI applies
// (00012002, with the request's own recvWindow header). The Client and
// Manager APIs document no recvWindow header, so their window is the
// example's 5000 ms, either way: a request captured and sent again later,
// or one from a host whose clock is wrong, is refused. A missing or
// malformed timestamp is a missing required header (GATEWAY_CODE_009), one
// outside the window an expired request (GATEWAY_CODE_014). The Auth2 API
// documents no timestamp header and has no window.

// Replay-window refusals of the gateway.
const (
	codeHeaderNull     = "GATEWAY_CODE_009"
	codeRequestExpired = "GATEWAY_CODE_014"
)

// Messages of the refusals above, after the vendor's table ("header
// null", "request expired").
const (
	msgHeaderNull     = "Request header is null: timestamp"
	msgRequestExpired = "Request expired"
)

// KindGateway marks the scenarios in which the gateway's request checks
// misbehave while every answer is as documented; Scenario.Filter selects
// the specs that show them.
const KindGateway = "gateway"

// Gateway scenarios, by name.
const (
	scenarioReplayWindowOff = "replay-window-off"
	scenarioClockAhead      = "clock-ahead"
)

// clockAheadBy is how far the clock-ahead scenario's vendor clock runs
// ahead: well outside the 5 s window, as a host without NTP drifts in weeks.
const clockAheadBy = time.Minute

var gatewayScenarios = []scenarioDef{
	{Scenario: Scenario{Name: scenarioReplayWindowOff, Kind: KindGateway, ExpectedVerdict: verdict.Broken, Pointer: "/code",
		Filter:      "findCustomerInfo && replay",
		Description: "the gateway accepts requests without a timestamp and ones timestamped outside recvWindow (no replay protection)"}},
	{Scenario: Scenario{Name: scenarioClockAhead, Kind: KindGateway, ExpectedVerdict: verdict.Config,
		Filter:      "findCustomerInfo",
		Description: "the vendor's clock runs a minute ahead of ours, so every timestamped request is outside recvWindow, as when our host's clock is wrong"}},
}

// vendorNow is the vendor's clock for the time window of c.
func (s *Simulator) vendorNow(c *call) time.Time {
	if s.scenario.Load().Name == scenarioClockAhead {
		return c.started.Add(clockAheadBy)
	}
	return c.started
}

// inReplayWindow refuses a Client or Manager API request without a usable
// timestamp or outside the window, writing the refusal, and reports
// whether the request may go on.
func (s *Simulator) inReplayWindow(w http.ResponseWriter, c *call) bool {
	if s.scenario.Load().Name == scenarioReplayWindowOff {
		return true
	}
	raw := strings.TrimSpace(c.r.Header.Get(signing.HeaderTimestamp))
	ms, err := strconv.ParseInt(raw, 10, 64)
	if raw == "" || err != nil || ms <= 0 {
		s.writeRefusal(w, c, codeHeaderNull, msgHeaderNull)
		return false
	}
	skew := s.vendorNow(c).Sub(time.UnixMilli(ms))
	if skew > signing.DefaultRecvWindow || -skew > signing.DefaultRecvWindow {
		s.writeRefusal(w, c, codeRequestExpired, msgRequestExpired)
		return false
	}
	return true
}

// writeRefusal writes a gateway refusal whose message the shared table
// lacks.
func (s *Simulator) writeRefusal(w http.ResponseWriter, c *call, code, msg string) {
	s.writeEnvelope(w, http.StatusOK, c, &envelope{bizCode: bizGateway, code: code, msg: msg, trace: c.trace, data: c.route.bizType, fail: true})
}
