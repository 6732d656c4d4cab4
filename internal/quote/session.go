package quote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Frame is one received websocket message, as internal/wsclient delivers
// it (the same fields, so a wsclient.Frame converts to it). The package
// does not import the client: the simulator speaks the protocol too, and
// the client's tests run the simulator.
type Frame struct {
	Binary    bool
	Data      []byte // the text, or the inflated binary payload
	WireBytes int
	Received  time.Time
}

// FrameConn is what a Session needs of a websocket (suites adapt a
// *wsclient.Conn to it).
type FrameConn interface {
	ReadFrame(ctx context.Context) (Frame, error)
	WriteText(ctx context.Context, msg []byte) error
}

// LimitError is a request the Session refused to send because it would
// break one of the protocol's limits: the harness never exceeds them.
type LimitError struct{ Reason string }

func (e *LimitError) Error() string { return "quote request refused: " + e.Reason }

// Session speaks the quote protocol over one connection: it numbers the
// requests (seq_id), keeps every request within the limits, and classifies
// each received frame. Send is safe for concurrent use (a heartbeat and a
// spec may share a session); Next is for one reader.
type Session struct {
	conn    FrameConn
	limiter *Limiter

	mu      sync.Mutex
	nextSeq uint32
}

// NewSession starts a session on conn; now is the clock (time.Now when nil).
func NewSession(conn FrameConn, now func() time.Time) *Session {
	return &Session{conn: conn, limiter: NewLimiter(MaxCallsPerSecond, time.Second, now)}
}

// Limiter is the session's rate limiter, for what it has seen.
func (s *Session) Limiter() *Limiter { return s.limiter }

// Send sends a request with the next seq_id and returns it and when it left.
// A request that would exceed a limit is refused with a *LimitError before
// anything is sent; one that would exceed the call rate waits its turn.
func (s *Session) Send(ctx context.Context, cmd uint32, ext string, data any) (Request, time.Time, error) {
	if err := checkLimits(ext, data); err != nil {
		return Request{}, time.Time{}, err
	}
	if data == nil {
		data = struct{}{}
	}
	s.mu.Lock()
	s.nextSeq++
	req := Request{CmdID: cmd, SeqID: s.nextSeq, Ext: ext, Data: data}
	s.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		return Request{}, time.Time{}, fmt.Errorf("encoding quote request %d: %w", cmd, err)
	}
	at, err := s.SendRaw(ctx, b)
	return req, at, err
}

// SendRaw sends a frame as it is (the malformed-request specs), within the
// call rate like any request.
func (s *Session) SendRaw(ctx context.Context, frame []byte) (time.Time, error) {
	at, err := s.limiter.Wait(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return at, s.conn.WriteText(ctx, frame)
}

// checkLimits refuses a request the vendor's limits forbid.
func checkLimits(ext string, data any) error {
	if len(ext) > MaxExtLength {
		return &LimitError{fmt.Sprintf("ext is %d bytes, the protocol allows %d", len(ext), MaxExtLength)}
	}
	n := -1
	switch d := data.(type) {
	case TickSubscription:
		n = len(d.SymbolList)
	case DepthSubscription:
		n = len(d.SymbolList)
	case KlineQuery:
		if d.QueryKlineNum > MaxKlineBars {
			return &LimitError{fmt.Sprintf("query_kline_num %d exceeds the %d bars a query returns", d.QueryKlineNum, MaxKlineBars)}
		}
	}
	if n > MaxSymbols {
		return &LimitError{fmt.Sprintf("%d symbols in one subscription, the protocol allows %d", n, MaxSymbols)}
	}
	return nil
}

// Message is one received frame, classified: a JSON response, a text frame
// of pushes, or neither (Err says why: the frame breaks the protocol).
type Message struct {
	Frame    Frame
	Response *Response
	Pushes   []Push
	Err      error
}

// Next reads and classifies the next frame. Its error is the connection's
// (a timeout, a close, a refused frame); a frame that parses as nothing
// comes back as a Message with Err set.
func (s *Session) Next(ctx context.Context) (Message, error) {
	f, err := s.conn.ReadFrame(ctx)
	if err != nil {
		return Message{}, err
	}
	return Classify(f), nil
}

// Classify sorts one frame: a text frame starting like a push is parsed as
// pushes; anything else (a binary frame is already inflated) must be a
// JSON response frame.
func Classify(f Frame) Message {
	m := Message{Frame: f}
	if !f.Binary && IsPush(f.Data) {
		m.Pushes, m.Err = ParsePushes(f.Data)
		return m
	}
	var r Response
	if err := json.Unmarshal(f.Data, &r); err != nil {
		m.Err = fmt.Errorf("a frame that is neither a JSON response nor a push: %w", err)
		return m
	}
	m.Response = &r
	return m
}

// Limiter keeps a connection's requests within max per window: a request
// waits until the max-th request before it is a whole window old. A margin
// absorbs the jitter between our clock and the server's count.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	sent    []time.Time // the last max send times, oldest first
	maxSeen int         // the most requests any window held
}

// limiterMargin is added to the window: a server counting arrivals sees
// requests closer together than we sent them when the network delays one.
const limiterMargin = 20 * time.Millisecond

// NewLimiter allows max requests per window.
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window + limiterMargin, now: now}
}

// Wait blocks until a request may go, records it, and returns its time.
func (l *Limiter) Wait(ctx context.Context) (time.Time, error) {
	for {
		l.mu.Lock()
		now := l.now()
		if len(l.sent) < l.max || now.Sub(l.sent[0]) >= l.window {
			if len(l.sent) == l.max {
				l.sent = l.sent[1:]
			}
			l.sent = append(l.sent, now)
			l.maxSeen = max(l.maxSeen, l.inWindow(now))
			l.mu.Unlock()
			return now, nil
		}
		wait := l.window - now.Sub(l.sent[0])
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, errors.Join(&LimitError{"the call rate's wait outlasted the deadline"}, ctx.Err())
		}
	}
}

// inWindow counts the recorded requests within one (unpadded) second of now.
func (l *Limiter) inWindow(now time.Time) int {
	n := 0
	for _, t := range l.sent {
		if now.Sub(t) < l.window-limiterMargin {
			n++
		}
	}
	return n
}

// MaxInWindow is the most requests any window held: never above max.
func (l *Limiter) MaxInWindow() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxSeen
}
