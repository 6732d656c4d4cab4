package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// A feed job keeps one quote connection open for as long as the monitor
// runs, instead of ticking on a schedule: what it watches (heartbeat round
// trips, the gaps between pushes, sequence numbers that skip or repeat)
// only exists on a connection that stays up. It runs in the monitor's own
// process (a child per tick would measure nothing), reconnects with
// doubling backoff, exports what it sees as metrics, and pages through the
// same outbox as every other alert when a gap or a heartbeat breaks its
// SLO, once per incident, with a resolve when it recovers.

// Feed alert keys: one alert per SLO of a job.
const (
	feedPushGap   = "feed-push-gap"
	feedHeartbeat = "feed-heartbeat"
)

// feedEvalEvery is how often a feed compares what it saw with its SLOs.
const feedEvalEvery = 250 * time.Millisecond

// startFeeds starts a goroutine per feed job; they end when shutdown begins.
func (m *Monitor) startFeeds() {
	for i := range m.cfg.Jobs {
		j := &m.cfg.Jobs[i]
		if j.Kind != "feed" {
			continue
		}
		m.loops.Add(1)
		go func() {
			defer m.loops.Done()
			m.runFeed(j)
		}()
	}
}

// feed is one running feed job.
type feed struct {
	m   *Monitor
	j   *Job
	cfg Feed
	url string // the socket's URL
	dc  wsclient.Config

	// beatMu orders a heartbeat's record before the reader's look-up of
	// its answer.
	beatMu sync.Mutex

	mu        sync.Mutex
	lastPush  time.Time              // last push of any connection (the start, before one)
	lastSeq   map[quote.Symbol]int64 // per symbol, on the current connection
	pending   map[uint32]time.Time   // heartbeats sent, by seq_id, awaiting 14009
	lateBeat  string                 // why the last heartbeat broke its SLO, "" when it held
	connState string                 // what the connection is doing, for alert summaries
	firing    map[string]bool        // alert keys firing, as stored
	conn      int                    // numbers the connections: a heartbeat belongs to one
}

// runFeed runs feed job j until shutdown: resolve the target (an embedded
// simulator for a target without base_url), then connect, subscribe and
// watch, reconnecting with backoff after every failure.
func (m *Monitor) runFeed(j *Job) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-m.stopping
		cancel()
	}()
	t := m.cfg.Targets[j.Target]
	base := t.BaseURL
	if base == "" {
		addr, stop, err := startFeedSimulator(t.Scenario)
		if err != nil {
			m.log.Error("feed: starting the simulator", "job", j.Name, "err", err)
			return
		}
		defer stop()
		base = "http://" + addr
	}
	u, err := feedURL(base, *j.Feed, t.Token)
	if err != nil {
		m.log.Error("feed: target URL", "job", j.Name, "err", m.red.Text(err.Error()))
		return
	}
	m.red.Learn(t.Token)
	f := &feed{m: m, j: j, cfg: *j.Feed, url: u.String(), lastPush: m.now(), firing: map[string]bool{},
		dc: wsclient.Config{HTTPClient: mmapi.NewHTTPClient(t.Insecure), Host: u.Host, Redactor: m.red, Now: m.now,
			ReadTimeout: j.Feed.HeartbeatInterval.D(), MaxFrameBytes: j.Feed.MaxFrameBytes}}
	f.loadFiring(ctx)
	m.metrics.wsConnected.WithLabelValues(j.Name).Set(0)
	m.metrics.wsSeqGaps.WithLabelValues(j.Name).Add(0)
	m.metrics.wsReconnects.WithLabelValues(j.Name).Add(0)
	go f.evaluate(ctx)
	backoff := f.cfg.MinBackoff.D()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if !m.leases.holds(j.Name) {
			f.setState("standing by: another replica runs this feed")
			sleepCtx(ctx, LeaseRenew)
			continue
		}
		if attempt > 0 {
			m.metrics.wsReconnects.WithLabelValues(j.Name).Inc()
		}
		m.health.ticked(j.Name)
		pushed, err := f.session(ctx)
		m.metrics.wsConnected.WithLabelValues(j.Name).Set(0)
		if ctx.Err() != nil {
			return
		}
		if pushed {
			backoff = f.cfg.MinBackoff.D() // the connection worked: start over
		}
		reason := m.red.Text(oneline.Collapse(fmt.Sprint(err), oneline.MaxMessage))
		f.setState("reconnecting after: " + reason)
		m.log.Warn("feed: connection ended; reconnecting", "job", j.Name, "after", backoff, "err", reason)
		// Full jitter over the upper half: replicas and jobs that lost the
		// server together do not come back together.
		sleepCtx(ctx, backoff/2+time.Duration(rand.Int64N(int64(backoff/2)+1)))
		backoff = min(2*backoff, f.cfg.MaxBackoff.D())
	}
}

// startFeedSimulator serves a simulator in scenario on a loopback port.
func startFeedSimulator(scenario string) (string, func(), error) {
	sim, err := simulator.New(simulator.Options{Scenario: scenario})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { sim.Close(); _ = srv.Close() }, nil
}

// feedURL is the socket's ws(s) URL under the server root base.
func feedURL(base string, f Feed, token string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return nil, fmt.Errorf("base URL scheme %q, want http or https", u.Scheme)
	}
	u.Path += feedSockets[f.Socket]
	if token != "" && f.Socket != "quote_guest" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (f *feed) setState(s string) {
	f.mu.Lock()
	f.connState = s
	f.mu.Unlock()
}

// session is one connection: subscribe, heartbeat, read until it ends.
// pushed reports whether any push arrived (the connection was useful).
func (f *feed) session(ctx context.Context) (pushed bool, err error) {
	f.setState("connecting")
	conn, err := wsclient.Dial(ctx, f.url, f.dc)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	f.mu.Lock()
	f.conn++
	id := f.conn
	f.lastSeq, f.pending = map[quote.Symbol]int64{}, map[uint32]time.Time{}
	f.mu.Unlock()
	defer func() {
		// Heartbeats of a connection that ended are answered by no one: the
		// push gap, not the heartbeat, speaks for an outage.
		f.mu.Lock()
		f.conn++
		f.pending = map[uint32]time.Time{}
		f.mu.Unlock()
	}()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sess := quote.NewSession(quoteConn{conn}, f.m.now)
	syms := make([]quote.Symbol, len(f.cfg.Symbols))
	for i, s := range f.cfg.Symbols {
		syms[i] = s.quote()
	}
	if _, _, err := sess.Send(sctx, quote.CmdSubscribeTick, "mmcontract-feed-"+f.j.Name, quote.TickSubscription{SymbolList: syms}); err != nil {
		return false, fmt.Errorf("subscribing: %w", err)
	}
	f.m.metrics.wsConnected.WithLabelValues(f.j.Name).Set(1)
	f.setState("connected to " + conn.URL())
	f.m.log.Info("feed: connected and subscribed", "job", f.j.Name, "url", conn.URL(), "symbols", len(syms))
	beatErr := make(chan error, 1)
	go func() { beatErr <- f.heartbeat(sctx, sess, id) }()
	subscribed := f.m.now()
	for {
		msg, err := sess.Next(sctx)
		var te *wsclient.TimeoutError
		switch {
		case errors.As(err, &te):
			// A connection that stays up but stopped pushing is worth a new
			// one: a subscription the server forgot comes back that way.
			// The alert is evaluate's; this only decides to reconnect.
			f.mu.Lock()
			quiet := f.m.now().Sub(later(f.lastPush, subscribed))
			f.mu.Unlock()
			if quiet > f.cfg.PushGapSLO.D() {
				return pushed, fmt.Errorf("no push for %s on an open connection (push_gap_slo %s)", quiet.Round(time.Second), f.cfg.PushGapSLO.D())
			}
			continue
		case err != nil:
			select {
			case herr := <-beatErr:
				if herr != nil {
					return pushed, herr
				}
			default:
			}
			return pushed, err
		}
		if f.handle(msg) {
			pushed = true
		}
	}
}

// heartbeat sends 14008 every HeartbeatInterval until ctx ends; conn is
// the connection's number, so a heartbeat sent as it ended is not awaited.
func (f *feed) heartbeat(ctx context.Context, sess *quote.Session, conn int) error {
	t := time.NewTicker(f.cfg.HeartbeatInterval.D())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		// The answer can be read before Send returns: beatMu holds the
		// reader's look-up of it until the heartbeat is recorded.
		f.beatMu.Lock()
		req, at, err := sess.Send(ctx, quote.CmdHeartbeat, "", struct{}{})
		if err == nil {
			f.mu.Lock()
			if f.conn == conn {
				f.pending[req.SeqID] = at
			}
			f.mu.Unlock()
		}
		f.beatMu.Unlock()
		if err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
	}
}

// handle records one frame; it reports whether the frame carried pushes.
func (f *feed) handle(msg quote.Message) bool {
	now := msg.Frame.Received
	if now.IsZero() {
		now = f.m.now()
	}
	switch {
	case msg.Err != nil:
		f.m.log.Warn("feed: a frame that breaks the protocol", "job", f.j.Name, "err", f.m.red.Text(oneline.Collapse(msg.Err.Error(), oneline.MaxMessage)))
		return false
	case msg.Response != nil && msg.Response.CmdID == quote.CmdHeartbeatAck:
		f.beatMu.Lock()
		f.beatMu.Unlock()
		f.mu.Lock()
		sent, ok := f.pending[msg.Response.SeqID]
		delete(f.pending, msg.Response.SeqID)
		f.mu.Unlock()
		if !ok {
			return false
		}
		rtt := now.Sub(sent)
		f.m.metrics.wsHeartbeat.WithLabelValues(f.j.Name).Observe(rtt.Seconds())
		late := ""
		if rtt > f.cfg.HeartbeatSLO.D() {
			late = fmt.Sprintf("heartbeat answered after %s (SLO %s)", rtt.Round(time.Millisecond), f.cfg.HeartbeatSLO.D())
		}
		f.mu.Lock()
		f.lateBeat = late
		f.mu.Unlock()
		return false
	case msg.Response != nil && msg.Response.CmdID == quote.CmdSubscribeTickAck:
		var d struct {
			TickList []quote.Tick `json:"tick_list"`
		}
		_ = json.Unmarshal(msg.Response.Data, &d) // the specs judge the ack; the feed only reads its sequences
		// The ack's ticks are a snapshot, not pushes: they start each
		// symbol's sequence but close no push gap (a server that answers
		// subscriptions and pushes nothing must page).
		f.mu.Lock()
		for _, t := range d.TickList {
			f.lastSeq[quote.Symbol{SymbolID: t.SymbolID, TradeType: t.TradeType, TradeMode: t.TradeMode}] = int64(t.Seq)
		}
		f.mu.Unlock()
		return false
	}
	for _, p := range msg.Pushes {
		sym, ok := p.Symbol()
		seq, hasSeq := p.Int("seq")
		if ok {
			f.pushed(now, sym, seq, hasSeq)
		}
	}
	return len(msg.Pushes) > 0
}

// pushed records a push for sym at now: the gap since the last push, and
// the sequence number against the symbol's last (a skip or a repeat is one
// sequence gap).
func (f *feed) pushed(now time.Time, sym quote.Symbol, seq int64, hasSeq bool) {
	f.mu.Lock()
	gap := now.Sub(f.lastPush)
	f.lastPush = now
	prev, seen := f.lastSeq[sym]
	if hasSeq {
		f.lastSeq[sym] = seq
	}
	f.mu.Unlock()
	f.m.metrics.wsPushGap.WithLabelValues(f.j.Name).Observe(max(gap, 0).Seconds())
	f.m.metrics.wsLastPush.WithLabelValues(f.j.Name).Set(float64(now.UnixNano()) / 1e9)
	if hasSeq && seen && seq != prev+1 {
		f.m.metrics.wsSeqGaps.WithLabelValues(f.j.Name).Inc()
	}
}

// evaluate compares what the feed saw with its SLOs until ctx ends, and
// moves the two alerts.
func (f *feed) evaluate(ctx context.Context) {
	t := time.NewTicker(min(feedEvalEvery, f.cfg.PushGapSLO.D()/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := f.m.now()
		f.mu.Lock()
		silent, state, late := now.Sub(f.lastPush), f.connState, f.lateBeat
		for seq, at := range f.pending {
			if wait := now.Sub(at); wait > f.cfg.HeartbeatSLO.D() {
				late = fmt.Sprintf("heartbeat seq_id %d unanswered after %s (SLO %s)", seq, wait.Round(time.Millisecond), f.cfg.HeartbeatSLO.D())
			}
		}
		f.mu.Unlock()
		gap := ""
		if silent > f.cfg.PushGapSLO.D() {
			gap = fmt.Sprintf("no quote push for %s (SLO %s); %s", silent.Round(time.Second), f.cfg.PushGapSLO.D(), state)
		}
		f.alert(ctx, feedPushGap, gap)
		f.alert(ctx, feedHeartbeat, late)
	}
}

// loadFiring reads which of the job's feed alerts are firing in the store,
// so a restarted monitor neither pages again nor forgets to resolve.
func (f *feed) loadFiring(ctx context.Context) {
	raw, err := f.m.store.AlertStates(ctx, f.j.Name)
	if err != nil {
		f.m.storeFailed("read alert state", err)
		return
	}
	for _, key := range []string{feedPushGap, feedHeartbeat} {
		var st specState
		if doc, ok := raw[f.alertKey(key)]; ok && json.Unmarshal(doc, &st) == nil && st.Status == string(alert.Firing) {
			f.firing[key] = true
		}
	}
}

func (f *feed) alertKey(key string) string { return key + "|" + f.j.Name }

// alert moves the feed alert key: firing when breach is a reason, resolved
// when it is "" again. Only a change is stored and notified, so a breach
// that lasts pages once.
func (f *feed) alert(ctx context.Context, key, breach string) {
	if (breach != "") == f.firing[key] {
		return
	}
	now := f.m.now()
	what := map[string]string{feedPushGap: "push gap", feedHeartbeat: "heartbeat"}[key]
	st := specState{Kind: alert.KindFeed, Job: f.j.Name, Target: f.j.Target, Severity: verdict.Unavailable.Alert(),
		Fingerprint: specFingerprint(key, f.j.Name), ReportURL: "http://" + f.m.Addr() + "/metrics"}
	status := alert.Firing
	if breach != "" {
		st.Status, st.FirstFired, st.LastNotified = string(alert.Firing), now, now
		st.StartedAt = now.UTC().Truncate(time.Second)
		st.Summary = fmt.Sprintf("quote feed %s %s SLO broken: %s", f.j.Name, what, f.m.red.Text(breach))
	} else {
		raw, err := f.m.store.AlertStates(ctx, f.j.Name)
		if err == nil {
			_ = json.Unmarshal(raw[f.alertKey(key)], &st)
		}
		status = alert.Resolved
		st.Status, st.ResolvedAt = string(alert.Resolved), now
		if st.Summary == "" {
			st.Summary = fmt.Sprintf("quote feed %s %s SLO broken", f.j.Name, what)
		}
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return
	}
	if err := f.m.saveAndQueue(ctx, f.j.Name, map[string]json.RawMessage{f.alertKey(key): doc}, []alert.Event{st.event(status)}); err != nil {
		f.m.log.Error("feed: alert state", "job", f.j.Name, "err", f.m.red.Text(err.Error()))
		return
	}
	f.firing[key] = breach != ""
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// quoteConn adapts a websocket to the quote session (the quote package
// does not import the client; see quote.Frame).
type quoteConn struct{ *wsclient.Conn }

func (c quoteConn) ReadFrame(ctx context.Context) (quote.Frame, error) {
	f, err := c.Conn.ReadFrame(ctx)
	return quote.Frame(f), err
}
