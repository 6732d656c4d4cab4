package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/openmsg"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// The Open API trade-message socket's specs (NOTES §6.2): log in with the
// token getMsgPushToken issues, subscribe to the account's assets, and
// judge every frame that comes, JSON ones against the frame schema and
// their msgCode's content schema, the f(…)/g(…) text frames parsed into
// objects first. Each check records an observation like an HTTP check:
// family "openmsg", the frame kind as its operation, latency_ms the
// acknowledgement's or the first push's.

// OpenMsgFamily is the schema and observation family of the socket.
const OpenMsgFamily = "openmsg"

// openMsgTradeTypes is the subscription of the specs: both contract trade
// types, whose assets come as f(…) and g(…).
const openMsgTradeTypes = "1,2"

// openMsgPushKinds are the pushes the specs wait for.
var openMsgPushKinds = []string{openmsg.Notice, openmsg.Trade, openmsg.FrameF, openmsg.FrameG}

// openMsgMaxFrames bounds what one run keeps.
const openMsgMaxFrames = 256

func openMsgLabels(kind string, more ...string) Labels {
	return append(Labels{"websocket", OpenMsgFamily, kind, "readonly"}, more...)
}

// registerOpenMsg adds the trade-message socket's specs.
func registerOpenMsg(env *Env) {
	runs := &openMsgRunner{env: env}
	// One operation to a sharded run: the specs share one subscription.
	socket := Operation{Operation: schemas.Operation{Family: OpenMsgFamily, BizType: strings.Trim(openmsg.Path, "/")}}
	env.describe(socket, "Open API trade-message websocket "+openmsg.Path+"{appId}", nil, func() {
		env.it("acknowledges a login with the getMsgPushToken token and subscribe_asset with subscribe_success, echoing seqId and trace",
			openMsgLabels(openmsg.SubscribeSuccess), func(ctx SpecContext) {
				r := runs.get(ctx)
				obs := env.observeFrame(&r.socketRun, openmsg.SubscribeSuccess, r.ack)
				defer recordObservation(&obs)
				env.checkOpenMsgAck(r, &obs)
			}, SpecTimeout(env.socketTimeout()))

		for _, kind := range openMsgPushKinds {
			env.registerPushKind(pushKind{kind: kind, text: openMsgPushText(kind), shapeText: "keeps the accepted shape of its " + kind + " frames",
				labels: openMsgLabels(kind, "push"), run: func(ctx SpecContext) *socketRun { return &runs.get(ctx).socketRun },
				check: env.openMsgFrameCheck, doc: openMsgDoc})
		}

		env.it("sends only JSON frames and f(…)/g(…) text frames, each within the frame cap", openMsgLabels("frame"), func(ctx SpecContext) {
			r := runs.get(ctx)
			obs := env.observeFrame(&r.socketRun, "frame", r.ack)
			defer recordObservation(&obs)
			if r.problem != nil {
				r.problem.fail(&obs, "the socket's frames")
			}
		}, SpecTimeout(env.socketTimeout()))

		env.it("keeps the connection through a ping and stops pushing after cancel_subscribe_asset", openMsgLabels(openmsg.CancelSubscribeAsset), func(ctx SpecContext) {
			r := runs.get(ctx)
			obs := env.observeFrame(&r.socketRun, openmsg.CancelSubscribeAsset, r.ack)
			defer recordObservation(&obs)
			if r.ack == nil {
				r.failAck(&obs)
			}
			if r.cancelProblem != nil {
				r.cancelProblem.fail(&obs, "after the ping and the cancel")
			}
			if r.lateAfterCancel > 0 {
				failOnViolations(&obs, "the cancelled subscription", []contract.Violation{{Pointer: "/frame", Keyword: "cancelled",
					Expected: "no push after cancel_subscribe_asset", Seen: fmt.Sprintf("%d push(es)", r.lateAfterCancel),
					Message: "pushes continued after the subscription was cancelled"}})
			}
		}, SpecTimeout(env.socketTimeout()))

		env.it("answers a login with a token it never issued with msgCode disconnect", openMsgLabels(openmsg.Disconnect, "negative"), func(ctx SpecContext) {
			env.needOpenMsg()
			env.openMsgRefusal(ctx)
		}, SpecTimeout(env.socketTimeout()))
	})
}

func openMsgPushText(kind string) string {
	switch kind {
	case openmsg.Trade:
		return "pushes trade frames that match their schema, every paramMap value a string"
	case openmsg.FrameF, openmsg.FrameG:
		return fmt.Sprintf("pushes %s(…) text frames of trade type %d that parse, with decimal values, matching their schema", kind, openmsg.TradeTypeOfFrame(kind))
	}
	return "pushes " + kind + " frames that match their schema"
}

// needOpenMsg skips without what the socket needs.
func (e *Env) needOpenMsg() {
	if e.Websocket == nil {
		Skip("no websocket target")
	}
	if e.OpenAPI == nil || e.OpenMsgAppID == "" {
		Skip(missingOpenAPI)
	}
}

// openMsgRunner shares one subscription among the specs that judge it; a
// flake retry subscribes again.
type openMsgRunner struct {
	env  *Env
	last *openMsgRun
}

type openMsgRun struct {
	socketRun
	sentAt          time.Time
	lateAfterCancel int
	cancelProblem   *quoteProblem
}

func (t *openMsgRunner) get(ctx SpecContext) *openMsgRun {
	t.env.needOpenMsg()
	if t.last == nil || CurrentSpecReport().NumAttempts > 1 {
		t.last = t.env.openMsgSubscribe(ctx)
	}
	return t.last
}

// openMsgRequest encodes a request frame.
func openMsgRequest(msgType, token string, seq int64, data map[string]any) []byte {
	b, _ := json.Marshal(openmsg.Request{Head: openmsg.Head{MsgType: msgType, Token: token, SendTime: time.Now().UnixMilli(), Lang: "en-US"},
		Data: data, Device: openmsg.Device, SeqID: seq, Trace: "mmcontract-openmsg-" + msgType})
	return b
}

// pushToken asks getMsgPushToken for a message token.
func (e *Env) pushToken(ctx SpecContext) (string, *quoteProblem) {
	o := e.call(ctx, e.OpenAPI, getMsgPushTokenOp, map[string]any{}, mmapi.CallOptions{})
	if ce, ok := o.setupProblem(); ok {
		return "", &quoteProblem{config: ce, reason: ce.Message}
	}
	if reason, ok := o.unavailable(); ok {
		return "", &quoteProblem{unavailable: true, reason: "getMsgPushToken: " + reason}
	}
	var tok string
	if o.err != nil || o.ex == nil || o.ex.Envelope == nil || json.Unmarshal(o.ex.Envelope.Data, &tok) != nil || tok == "" {
		return "", &quoteProblem{violation: contract.Violation{Pointer: "/data", Keyword: "push_token", Expected: "a message token",
			Message: "getMsgPushToken gave no token to log in to the socket with"}, reason: "getMsgPushToken gave no token"}
	}
	e.Redactor.Learn(tok) // a session credential: the login frame carries it
	return tok, nil
}

// openMsgSubscribe logs in, subscribes, reads the acknowledgement and the
// pushes of the window, then pings and cancels and watches the quiet.
func (e *Env) openMsgSubscribe(ctx SpecContext) *openMsgRun {
	r := &openMsgRun{socketRun: socketRun{family: OpenMsgFamily, shown: openMsgShown}}
	tok, p := e.pushToken(ctx)
	if p != nil {
		r.problem = p
		return r
	}
	conn, p := e.dialSocket(ctx, openmsg.Path+e.OpenMsgAppID, nil)
	if p != nil {
		r.problem = p
		return r
	}
	defer conn.Close()
	r.url = conn.URL()
	r.sent = openMsgRequest(openmsg.SubscribeAsset, "", 2, openmsg.Subscription{TradeTypes: openMsgTradeTypes}.Data())
	for _, frame := range [][]byte{openMsgRequest(openmsg.Login, tok, 1, map[string]any{}), r.sent} {
		if err := conn.WriteText(ctx, frame); err != nil {
			r.problem = e.socketProblem(err, "write")
			return r
		}
	}
	r.sentAt = time.Now()
	if !e.readOpenMsg(ctx, conn, r) {
		return r
	}
	// The docs show no answer to ping or cancel: the connection staying up
	// and the pushes stopping are the answers.
	for _, msgType := range []string{openmsg.Ping, openmsg.CancelSubscribeAsset} {
		if err := conn.WriteText(ctx, openMsgRequest(msgType, "", 3, map[string]any{})); err != nil {
			r.cancelProblem = e.socketProblem(err, "write")
			return r
		}
	}
	cancelled := time.Now()
	for {
		f, err := conn.ReadFrameWithin(ctx, time.Until(cancelled.Add(quoteGrace+quietFor(r.interval()))))
		var te *wsclient.TimeoutError
		if errors.As(err, &te) {
			return r
		}
		if err != nil {
			r.cancelProblem = e.socketProblem(err, "frame")
			return r
		}
		if f.Received.Sub(cancelled) > quoteGrace {
			r.lateAfterCancel++
		}
	}
}

// readOpenMsg reads the acknowledgement, then the pushes until every kind
// came or the window after the first push ended. It reports whether the
// connection is still usable.
func (e *Env) readOpenMsg(ctx SpecContext, conn *wsclient.Conn, r *openMsgRun) bool {
	deadline := r.sentAt.Add(e.ackBound())
	seen := map[string]bool{}
	for len(r.frames) < openMsgMaxFrames {
		f, err := conn.ReadFrameWithin(ctx, time.Until(deadline))
		var te *wsclient.TimeoutError
		switch {
		case errors.As(err, &te) && r.ack != nil:
			return true // the window ended; silence is the push specs' to judge
		case errors.As(err, &te):
			r.problem = e.socketProblem(err, "subscribe_success")
			return false
		case err != nil:
			r.problem = e.socketProblem(err, "frame")
			return false
		}
		sf := socketFrame{raw: f.Data, at: f.Received}
		if openmsg.IsTextFrame(f.Data) {
			sf.kind = string(f.Data[:1])
		} else {
			var sv openmsg.ServerFrame
			if err := json.Unmarshal(f.Data, &sv); err != nil {
				r.problem = e.notProtocol(f.Data, "a JSON frame or an f(…)/g(…) text frame", err)
				return false
			}
			sf.kind = sv.MsgCode
		}
		if r.ack == nil && !sf.isPush() {
			r.ack, r.ackAfter = &sf, f.Received.Sub(r.sentAt)
			deadline = f.Received.Add(quotePushBound)
			continue
		}
		if len(r.frames) == 0 {
			r.firstPush = f.Received.Sub(r.ackTime0())
			deadline = f.Received.Add(quotePushWindow)
		}
		r.frames = append(r.frames, sf)
		seen[sf.kind] = true
		if allSeen(seen, openMsgPushKinds) {
			return true
		}
	}
	return true
}

// interval is the time between the first two pushes, 0 with fewer: a
// cancelled stream must stay quiet for a few of them.
func (r *openMsgRun) interval() time.Duration {
	if len(r.frames) < 2 {
		return 0
	}
	return r.frames[1].at.Sub(r.frames[0].at)
}

// ackTime0 is the acknowledgement's arrival, or the subscription's sending.
func (r *openMsgRun) ackTime0() time.Time {
	if r.ack != nil {
		return r.ack.at
	}
	return r.sentAt
}

func (f socketFrame) isPush() bool {
	switch f.kind {
	case openmsg.Notice, openmsg.Trade, openmsg.FrameF, openmsg.FrameG:
		return true
	}
	return false
}

func allSeen(seen map[string]bool, kinds []string) bool {
	for _, k := range kinds {
		if !seen[k] {
			return false
		}
	}
	return true
}

func (r *openMsgRun) failAck(obs *contract.Observation) {
	if r.problem != nil {
		r.problem.fail(obs, "the subscription")
	}
	(&quoteProblem{violation: contract.Violation{Pointer: "/msgCode", Keyword: "ack_timeout", Expected: openmsg.SubscribeSuccess, Seen: "nothing",
		Message: "subscribe_asset was not acknowledged"}, reason: "no acknowledgement"}).fail(obs, "the subscription")
}

// checkOpenMsgAck judges the acknowledgement: subscribe_success, echoing
// the request's seqId and trace, within its schemas.
func (e *Env) checkOpenMsgAck(r *openMsgRun, obs *contract.Observation) {
	if r.ack == nil {
		r.failAck(obs)
	}
	obs.LatencyMS = r.ackAfter.Milliseconds()
	var sv openmsg.ServerFrame
	_ = json.Unmarshal(r.ack.raw, &sv)
	obs.EnvelopeCode = sv.MsgCode
	var vs []contract.Violation
	if sv.MsgCode != openmsg.SubscribeSuccess {
		vs = append(vs, contract.Violation{Pointer: "/msgCode", Keyword: "ack", Expected: openmsg.SubscribeSuccess, Seen: oneline.First(sv.MsgCode, 80),
			Message: "subscribe_asset was not acknowledged as a success"})
	}
	if sv.SeqID == nil || *sv.SeqID != 2 {
		vs = append(vs, contract.Violation{Pointer: "/seqId", Keyword: "seq_id_echo", Expected: "2", Seen: seqText(sv.SeqID),
			Message: "the acknowledgement does not echo the request's seqId"})
	}
	if want := "mmcontract-openmsg-" + openmsg.SubscribeAsset; sv.Trace != want {
		vs = append(vs, contract.Violation{Pointer: "/trace", Keyword: "trace_echo", Expected: want, Seen: oneline.First(sv.Trace, 80),
			Message: "the acknowledgement does not echo the request's trace"})
	}
	_, sch := openMsgDoc(*r.ack)
	failOnViolations(obs, "the subscribe_asset acknowledgement", append(e.openMsgSchemaCheck(*r.ack, sch), vs...))
}

func seqText(p *int64) string {
	if p == nil {
		return "absent"
	}
	return fmt.Sprint(*p)
}

// openMsgFrameCheck is every check of one pushed frame: a text frame's
// syntax and values, then the schemas.
func (e *Env) openMsgFrameCheck(f socketFrame) []contract.Violation {
	_, parse := openMsgDoc(f)
	return e.openMsgSchemaCheck(f, parse)
}

// openMsgShown is what an exchange records of a frame: a text frame as
// the {frame, data} object it was validated as (its violations' pointers
// are into it), unless it does not parse.
func openMsgShown(f socketFrame) []byte {
	if doc, _ := openMsgDoc(f); doc != nil {
		return doc
	}
	return f.raw
}

// openMsgDoc is the object a frame is validated and shaped as: a JSON
// frame itself, a text frame parsed into {frame, data}; vs are the text
// frame's syntax and value violations.
func openMsgDoc(f socketFrame) (doc []byte, vs []contract.Violation) {
	if !openmsg.IsTextFrame(f.raw) {
		return f.raw, nil
	}
	af, err := openmsg.ParseTextFrame(f.raw)
	if err != nil {
		return nil, []contract.Violation{{Pointer: "", Keyword: "text_syntax", Expected: "f(…);(positionId,profitLoss);…",
			Seen: oneline.First(string(f.raw), 80), Message: oneline.First(err.Error(), oneline.MaxMessage)}}
	}
	return af.JSON(), af.Violations()
}

// openMsgSchemaCheck validates a frame: a text frame's parsed data against
// its kind, a JSON frame against the frame schema and its content against
// the msgCode's; pre are violations found before (the parse's).
func (e *Env) openMsgSchemaCheck(f socketFrame, pre []contract.Violation) []contract.Violation {
	if openmsg.IsTextFrame(f.raw) {
		doc, _ := openMsgDoc(f)
		if doc == nil {
			return pre
		}
		var d struct{ Data json.RawMessage }
		_ = json.Unmarshal(doc, &d)
		vs, err := check.Data(e.Schemas, OpenMsgFamily, f.kind, nil, true, d.Data)
		if err != nil {
			Fail(err.Error())
		}
		return append(pre, vs...)
	}
	fv, err := check.Frame(e.Schemas, OpenMsgFamily, f.raw)
	if err != nil {
		Fail(err.Error())
	}
	if _, known := e.Schemas.DataSchema(OpenMsgFamily, f.kind); !known {
		return append(fv, contract.Violation{Pointer: "/msgCode", Keyword: "enum", Expected: "a documented msgCode (" + strings.Join(openmsg.MsgCodes, ", ") + ")",
			Seen: oneline.First(f.kind, 80), Message: "a frame of an undocumented msgCode"})
	}
	var c struct{ Content json.RawMessage }
	_ = json.Unmarshal(f.raw, &c)
	vs, err := check.Content(e.Schemas, OpenMsgFamily, f.kind, "content", fv, c.Content)
	if err != nil {
		Fail(err.Error())
	}
	return vs
}

// openMsgRefusal logs in with a well-formed token nobody issued and
// expects the server to answer disconnect.
func (e *Env) openMsgRefusal(ctx SpecContext) {
	r := &socketRun{family: OpenMsgFamily}
	conn, p := e.dialSocket(ctx, openmsg.Path+e.OpenMsgAppID, nil)
	obs := contract.Observation{Operation: openmsg.Disconnect, Family: OpenMsgFamily, HTTPStatus: 101}
	defer recordObservation(&obs)
	if p != nil {
		p.fail(&obs, "connecting")
	}
	defer conn.Close()
	r.url, r.sent = conn.URL(), openMsgRequest(openmsg.Login, "00000000-0000-4000-8000-000000000000push", 1, map[string]any{})
	at := time.Now()
	if err := conn.WriteText(ctx, r.sent); err != nil {
		e.socketProblem(err, "write").fail(&obs, "the login")
	}
	f, err := conn.ReadFrameWithin(ctx, e.ackBound())
	if err != nil {
		var fe *wsclient.FrameError
		if errors.As(err, &fe) && fe.Kind == wsclient.ClosedByServer {
			return // closing the socket is a refusal too
		}
		e.socketProblem(err, "disconnect").fail(&obs, "the refusal")
	}
	rec := e.recordSocketFrames(OpenMsgFamily, openmsg.Disconnect, r.url, r.sent, f.Data)
	obs.ExchangeID, obs.Exchange, obs.LatencyMS = rec.ID, rec, f.Received.Sub(at).Milliseconds()
	var sv openmsg.ServerFrame
	if json.Unmarshal(f.Data, &sv) != nil || sv.MsgCode != openmsg.Disconnect {
		failOnViolations(&obs, "the login with a token never issued", []contract.Violation{{Pointer: "/msgCode", Keyword: "auth_refusal",
			Expected: openmsg.Disconnect, Seen: oneline.First(e.Redactor.Text(string(f.Data)), 80), Message: "the socket accepted a login with a token it never issued"}})
	}
	obs.EnvelopeCode = sv.MsgCode
}
