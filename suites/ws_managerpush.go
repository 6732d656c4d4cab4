package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/managerpush"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// The Manager data push's specs (NOTES §6.4): a handshake with the Manager
// token and a group of our own (a new group starts from now, so the specs
// never consume the integrator's replayed events), the text heartbeat, and
// every {data, eventType} frame against the frame schema and its event
// type's. Observations: family "managerpush", the event type as the
// operation, latency_ms the first push's (or the ping's round trip).

// ManagerPushFamily is the schema and observation family of the socket.
const ManagerPushFamily = "managerpush"

// managerPushWindow is how long events are collected after the first: the
// simulator pushes all 18 types within a second.
const managerPushWindow = 2 * time.Second

// managerPushMaxFrames bounds what one run keeps.
const managerPushMaxFrames = 512

func managerPushLabels(kind string, more ...string) Labels {
	return append(Labels{"websocket", ManagerPushFamily, kind, "readonly"}, more...)
}

// registerManagerPush adds the Manager data push's specs.
func registerManagerPush(env *Env) {
	runs := &managerPushRunner{env: env}
	// One operation to a sharded run: the specs share one connection.
	socket := Operation{Operation: schemas.Operation{Family: ManagerPushFamily, BizType: strings.Trim(managerpush.Path, "/")}}
	env.describe(socket, "Manager data push websocket "+managerpush.Path, nil, func() {
		env.it("sends only {data, eventType} JSON frames of the documented event types, each within the frame cap", managerPushLabels("frame"), func(ctx SpecContext) {
			r := runs.get(ctx)
			var first *socketFrame
			if len(r.frames) > 0 {
				first = &r.frames[0]
			}
			obs := env.observeFrame(&r.socketRun, "frame", first)
			defer recordObservation(&obs)
			obs.LatencyMS = r.firstPush.Milliseconds()
			if r.problem != nil {
				r.problem.fail(&obs, "the socket's frames")
			}
			for _, f := range r.frames {
				if !managerpush.Known(f.kind) {
					rec := env.recordSocketFrames(ManagerPushFamily, "frame", r.url, r.sent, f.raw)
					obs.ExchangeID, obs.Exchange = rec.ID, rec
					failOnViolations(&obs, "a frame of an undocumented event type", []contract.Violation{{Pointer: "/eventType", Keyword: "enum",
						Expected: "one of the " + fmt.Sprint(len(managerpush.EventTypes)) + " documented event types", Seen: oneline.First(f.kind, 80),
						Message: "an event type the data-push docs do not list"}})
				}
			}
		}, SpecTimeout(env.socketTimeout()))

		for _, kind := range managerpush.EventTypes {
			env.registerPushKind(pushKind{kind: kind, text: "pushes " + kind + " events whose data matches their schema",
				shapeText: "keeps the accepted shape of its " + kind + " events", labels: managerPushLabels(kind, "push"),
				run:   func(ctx SpecContext) *socketRun { return &runs.get(ctx).socketRun },
				check: env.managerEventCheck, doc: func(f socketFrame) ([]byte, []contract.Violation) { return f.raw, nil }})
		}

		env.it("keeps the connection through the text heartbeat and answers a websocket ping within the bound", managerPushLabels("heartbeat"), func(ctx SpecContext) {
			r := runs.get(ctx)
			obs := env.observeFrame(&r.socketRun, "heartbeat", nil)
			defer recordObservation(&obs)
			if r.url == "" && r.problem != nil {
				r.problem.fail(&obs, "connecting")
			}
			if r.pingErr != nil {
				failOnViolations(&obs, "the heartbeat", []contract.Violation{{Pointer: "", Keyword: "pong_timeout",
					Expected: fmt.Sprintf("a pong within %s", env.ackBound()), Seen: oneline.First(env.Redactor.Text(r.pingErr.Error()), 120),
					Message: "the socket did not answer after the text heartbeat"}})
			}
			obs.LatencyMS = r.pingRTT.Milliseconds()
		}, SpecTimeout(env.socketTimeout()))

		env.it("refuses a handshake with a token it never issued", managerPushLabels("handshake", "negative"), func(ctx SpecContext) {
			env.needManagerPush()
			obs := contract.Observation{Operation: "handshake", Family: ManagerPushFamily}
			defer recordObservation(&obs)
			env.managerPushRefusal(ctx, &obs)
		}, SpecTimeout(env.socketTimeout()))
	})
}

func (e *Env) needManagerPush() {
	if e.Websocket == nil {
		Skip("no websocket target")
	}
	if e.Manager == nil {
		Skip(missingManager)
	}
}

func managerPushHeader(token, group string) http.Header {
	h := http.Header{}
	h.Set(managerpush.HeaderToken, token)
	h.Set(managerpush.HeaderGroup, group)
	return h
}

// managerPushGroup is a group of our own: a new one starts from now, and
// reusing the integrator's would kick its connection out.
func managerPushGroup() string { return fmt.Sprintf("mmcontract-%d", time.Now().UnixNano()) }

type managerPushRunner struct {
	env  *Env
	last *managerPushRun
}

type managerPushRun struct {
	socketRun
	pingRTT time.Duration
	pingErr error
}

func (t *managerPushRunner) get(ctx SpecContext) *managerPushRun {
	t.env.needManagerPush()
	if t.last == nil || CurrentSpecReport().NumAttempts > 1 {
		t.last = t.env.managerPushListen(ctx)
	}
	return t.last
}

// managerPushListen connects, sends the text heartbeat, reads the events
// of the window, then pings.
func (e *Env) managerPushListen(ctx SpecContext) *managerPushRun {
	r := &managerPushRun{socketRun: socketRun{family: ManagerPushFamily}}
	tok, err := e.Manager.ManagerToken(ctx)
	if err != nil {
		if p := e.tokenProblem(err); p != nil {
			r.problem = p
		} else {
			r.problem = &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: "manager_auth", Seen: oneline.First(e.Redactor.Text(err.Error()), 120),
				Message: "no Manager token for the handshake"}, reason: oneline.First(e.Redactor.Text(err.Error()), oneline.MaxMessage)}
		}
		return r
	}
	e.Redactor.Learn(tok)
	group := managerPushGroup()
	start := time.Now()
	conn, p := e.dialSocket(ctx, managerpush.Path, managerPushHeader(tok, group))
	if p != nil {
		r.problem = p
		return r
	}
	defer conn.Close()
	r.url, r.sent = conn.URL(), []byte(managerpush.Heartbeat)
	if err := conn.WriteText(ctx, r.sent); err != nil {
		r.problem = e.socketProblem(err, "write")
		return r
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(quotePushBound)
	for len(r.frames) < managerPushMaxFrames && !allSeen(seen, managerpush.EventTypes) {
		f, err := conn.ReadFrameWithin(ctx, time.Until(deadline))
		var te *wsclient.TimeoutError
		if errors.As(err, &te) {
			break // the window ended; silence is the push specs' to judge
		}
		if err != nil {
			r.problem = e.socketProblem(err, "event")
			return r
		}
		var fr struct {
			EventType string `json:"eventType"`
		}
		if err := json.Unmarshal(f.Data, &fr); err != nil {
			r.problem = e.notProtocol(f.Data, "a JSON {data, eventType} frame", err)
			return r
		}
		if len(r.frames) == 0 {
			r.firstPush = f.Received.Sub(start)
			deadline = f.Received.Add(managerPushWindow)
		}
		r.frames = append(r.frames, socketFrame{kind: fr.EventType, raw: f.Data, at: f.Received})
		seen[fr.EventType] = true
	}
	at := time.Now()
	r.pingErr = conn.Ping(ctx)
	r.pingRTT = time.Since(at)
	return r
}

// managerEventCheck is the check of one event: the frame schema, then its
// data against the event type's schema.
func (e *Env) managerEventCheck(f socketFrame) []contract.Violation {
	fv, err := check.Frame(e.Schemas, ManagerPushFamily, f.raw)
	if err != nil {
		Fail(err.Error())
	}
	var d struct{ Data json.RawMessage }
	_ = json.Unmarshal(f.raw, &d)
	vs, err := check.Data(e.Schemas, ManagerPushFamily, f.kind, fv, true, d.Data)
	if err != nil {
		Fail(err.Error())
	}
	return vs
}

// managerPushRefusal offers a well-formed Manager token nobody issued and
// expects the upgrade refused (any answer but 101).
func (e *Env) managerPushRefusal(ctx SpecContext, obs *contract.Observation) {
	if ce := e.setupProblem(); ce != nil {
		(&quoteProblem{config: ce, reason: ce.Message}).fail(obs, "the handshake")
	}
	cfg := e.Websocket.Config
	cfg.Header = managerPushHeader("00000000-0000-4000-8000-000000000000admin", managerPushGroup())
	at := time.Now()
	conn, err := wsclient.Dial(ctx, e.Websocket.Root+managerpush.Path, cfg)
	obs.LatencyMS = time.Since(at).Milliseconds()
	var ue *mmapi.UnavailableError
	switch {
	case err == nil:
		_ = conn.Close()
		obs.HTTPStatus = 101
		failOnViolations(obs, "the handshake with a token never issued", []contract.Violation{{Pointer: "", Keyword: "auth_refusal",
			Expected: "no upgrade", Seen: "HTTP 101", Message: "the socket accepted a handshake with a token it never issued"}})
	case errors.As(err, &ue) && ue.HTTPStatus != 0:
		obs.HTTPStatus = ue.HTTPStatus // refused: what the spec wants
	default:
		e.socketProblem(err, "handshake").fail(obs, "the handshake")
	}
}
