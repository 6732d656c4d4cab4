// Package wsclient is the harness's websocket client: one connection to one
// of the vendor's sockets (the quote feed, the Open API trade messages, the
// Manager data push), with the same policy as the HTTP client in
// internal/mmapi: TLS verification on unless the caller says otherwise, a
// handshake redirect never followed off the target host, the one host a
// connection may go to, bounded waits everywhere, and errors whose text has
// been through internal/redact (a quote URL carries the token in its query).
//
// It is built on github.com/coder/websocket rather than gorilla/websocket:
// every call takes a context (a spec's deadline reaches the socket), it is
// maintained, it negotiates permessage-deflate and bounds the inflated size of
// a message with its read limit, and writes are safe from several goroutines
// (a heartbeat and a spec may write at once).
//
// On top of the transport's compression the quote server deflates whole
// K-line packets into binary frames (zlib; the vendor's H5 client gunzips
// them). A binary frame is inflated here through a bounded reader, so a
// compression bomb is a *FrameError, a verdict for the caller, never memory
// exhaustion.
package wsclient

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/redact"
)

// Defaults applied by Dial to a zero Config.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultReadTimeout      = 15 * time.Second
	DefaultWriteTimeout     = 5 * time.Second
	// DefaultMaxFrameBytes caps one frame as received and, for a binary
	// frame, once inflated.
	DefaultMaxFrameBytes = 1 << 20
	// frameQueue is how many received frames wait for the reader: enough
	// for a burst of pushes while a spec writes, small enough to bound
	// memory at frameQueue × MaxFrameBytes.
	frameQueue = 64
)

// Config configures one connection. Zero values take the defaults above.
type Config struct {
	// HTTPClient performs the handshake. Nil means mmapi.NewHTTPClient(false):
	// the HTTP client's TLS policy and its refusal to follow a redirect off
	// the first host, which Dial keeps in any client it is given.
	HTTPClient *http.Client
	// Header is sent with the handshake (the Manager push's token and group).
	Header http.Header
	// Host, when set, is the only host (host:port) Dial connects to: a URL
	// naming another is refused before any packet is sent, so a token is
	// never offered to a host the target does not name.
	Host string
	// HandshakeTimeout bounds the dial and the HTTP upgrade.
	HandshakeTimeout time.Duration
	// ReadTimeout is the longest ReadFrame waits for a frame when its
	// context has no earlier deadline.
	ReadTimeout time.Duration
	// WriteTimeout bounds one write.
	WriteTimeout time.Duration
	// MaxFrameBytes caps a frame (DefaultMaxFrameBytes when 0).
	MaxFrameBytes int64
	// Redactor scrubs every error's text. Nil means one with
	// redact.DefaultConfig(), so a token in a URL never reaches an error.
	Redactor *redact.Redactor
	// Now is the clock (time.Now when nil); frames are stamped with it.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.HTTPClient == nil {
		c.HTTPClient = mmapi.NewHTTPClient(false)
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.Redactor == nil {
		c.Redactor = redact.New(redact.DefaultConfig())
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Frame is one received websocket message.
type Frame struct {
	// Binary is true for a binary message; Data is then its inflated bytes.
	Binary bool
	// Data is the message: the text, or the inflated binary payload.
	Data []byte
	// WireBytes is the message's size as received (before inflating).
	WireBytes int
	// Received is when the message arrived.
	Received time.Time
}

// FrameKind names what is wrong with a frame the server sent.
type FrameKind string

// Frame problems: each is the server breaking the contract.
const (
	FrameTooLarge    FrameKind = "frame_too_large"
	InflateFailed    FrameKind = "inflate_failed"
	InflateTooLarge  FrameKind = "compression_bomb"
	ClosedByServer   FrameKind = "closed_by_server"
	ProtocolViolated FrameKind = "protocol_violation"
)

// FrameError is a frame (or the lack of one) that breaks the contract: the
// server answered, but not with a usable message. Reason is one redacted
// line.
type FrameError struct {
	Kind   FrameKind
	Reason string
	// Code is the websocket close code when Kind is ClosedByServer.
	Code int
}

func (e *FrameError) Error() string { return string(e.Kind) + ": " + e.Reason }

// TimeoutError is a wait that ran out: no frame arrived within After.
type TimeoutError struct {
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no frame within %s", e.After)
}

// Conn is one open websocket. ReadFrame and the writes are safe for
// concurrent use; frames are read by one goroutine in the background so a
// reader's deadline never tears the connection down.
type Conn struct {
	cfg Config
	ws  *websocket.Conn
	url string // redacted, for messages
	// deflate: the server agreed to permessage-deflate, so text frames may
	// arrive compressed (the read limit caps them inflated).
	deflate bool
	frames  chan Frame
	done    chan struct{}
	closing chan struct{} // closed by Close, so a blocked reader lets go

	errMu   sync.Mutex
	readErr error // why the background reader stopped; set before done closes

	closeOnce sync.Once
}

// Dial opens a websocket to rawURL (ws:// or wss://). A refused URL or a
// bad host is a plain error (the caller's configuration); a handshake that
// fails or does not finish within HandshakeTimeout is an
// *mmapi.UnavailableError, like an HTTP call that got no answer.
func Dial(ctx context.Context, rawURL string, cfg Config) (*Conn, error) {
	cfg = cfg.withDefaults()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket URL: %s", cfg.Redactor.Text(err.Error()))
	}
	shown := cfg.Redactor.Text(redactQuery(u))
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("websocket URL %s: scheme %q, want ws or wss", shown, u.Scheme)
	}
	if cfg.Host != "" && !strings.EqualFold(u.Host, cfg.Host) {
		return nil, fmt.Errorf("websocket URL %s: host %s is not the target host %s; refused", shown, u.Host, cfg.Host)
	}
	hctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(hctx, rawURL, &websocket.DialOptions{
		HTTPClient:      mmapi.Confine(cfg.HTTPClient),
		HTTPHeader:      cfg.Header,
		CompressionMode: websocket.CompressionNoContextTakeover,
	})
	if err != nil {
		return nil, dialError(ctx, hctx, cfg, shown, resp, err)
	}
	ws.SetReadLimit(cfg.MaxFrameBytes)
	c := &Conn{cfg: cfg, ws: ws, url: shown, frames: make(chan Frame, frameQueue),
		deflate: strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate"),
		done:    make(chan struct{}), closing: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

// redactQuery is the URL with every query value masked: the quote socket
// takes the client token as ?token=.
func redactQuery(u *url.URL) string {
	cp := *u
	q := cp.Query()
	for k := range q {
		q[k] = []string{"[redacted]"}
	}
	cp.RawQuery = strings.ReplaceAll(q.Encode(), "%5Bredacted%5D", "[redacted]")
	cp.User = nil
	return cp.String()
}

func dialError(ctx, hctx context.Context, cfg Config, shown string, resp *http.Response, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if hctx.Err() != nil {
		return &mmapi.UnavailableError{Reason: fmt.Sprintf("websocket handshake with %s did not complete within %s", shown, cfg.HandshakeTimeout),
			Err: err, Timeout: true}
	}
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		return &mmapi.UnavailableError{Reason: fmt.Sprintf("websocket handshake with %s answered HTTP %d, not 101", shown, resp.StatusCode),
			HTTPStatus: resp.StatusCode, Err: err}
	}
	reason, _ := mmapi.TransportReason(err)
	if reason == "" {
		reason = "timeout"
	}
	return &mmapi.UnavailableError{Reason: cfg.Redactor.Text(oneline.Collapse("websocket handshake with "+shown+": "+reason, oneline.MaxMessage)), Err: err}
}

// Deflate reports whether the server agreed to permessage-deflate.
func (c *Conn) Deflate() bool { return c.deflate }

// URL is the connection's URL with its query values masked.
func (c *Conn) URL() string { return c.url }

// readLoop reads every message until the connection ends, inflating binary
// ones, and records why it ended.
func (c *Conn) readLoop() {
	defer close(c.done)
	for {
		typ, r, err := c.ws.Reader(context.Background())
		if err != nil {
			c.fail(c.readError(err))
			return
		}
		f, err := c.readMessage(typ, r)
		if err != nil {
			c.fail(err)
			// No close handshake: a server that sent a bad frame need not
			// answer one, and the reader must not wait for it.
			_ = c.ws.CloseNow()
			return
		}
		select {
		case c.frames <- f:
		case <-c.closing:
			return
		}
	}
}

func (c *Conn) readMessage(typ websocket.MessageType, r io.Reader) (Frame, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Frame{}, c.readError(err)
	}
	f := Frame{Data: data, WireBytes: len(data), Received: c.cfg.Now(), Binary: typ == websocket.MessageBinary}
	if f.Binary {
		if f.Data, err = Inflate(data, c.cfg.MaxFrameBytes); err != nil {
			return Frame{}, err
		}
	}
	return f, nil
}

// readError classifies why reading stopped.
func (c *Conn) readError(err error) error {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return &FrameError{Kind: FrameTooLarge, Reason: fmt.Sprintf("a frame exceeded the %d-byte cap", c.cfg.MaxFrameBytes)}
	}
	if st := websocket.CloseStatus(err); st != -1 {
		var ce websocket.CloseError
		reason := ""
		if errors.As(err, &ce) && ce.Reason != "" {
			reason = ": " + c.cfg.Redactor.Text(oneline.Collapse(ce.Reason, 120))
		}
		return &FrameError{Kind: ClosedByServer, Code: int(st), Reason: fmt.Sprintf("the server closed the connection with status %d%s", int(st), reason)}
	}
	if c.isClosed() {
		return ErrClosed
	}
	reason, _ := mmapi.TransportReason(err)
	if reason == "" {
		reason = "timeout"
	}
	return &FrameError{Kind: ProtocolViolated, Reason: c.cfg.Redactor.Text(oneline.Collapse("the connection failed: "+reason, oneline.MaxMessage))}
}

// ErrClosed is returned by ReadFrame after Close: our own side closed.
var ErrClosed = errors.New("websocket closed by the harness")

func (c *Conn) fail(err error) {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if c.readErr == nil {
		c.readErr = err
	}
}

func (c *Conn) isClosed() bool {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return errors.Is(c.readErr, ErrClosed)
}

// ReadFrame returns the next frame. It waits at most ReadTimeout (or until
// ctx ends), and then returns a *TimeoutError; the connection stays open,
// so a caller may wait again. When the connection has ended it returns why:
// a *FrameError for what the server did, ErrClosed after Close.
func (c *Conn) ReadFrame(ctx context.Context) (Frame, error) {
	return c.ReadFrameWithin(ctx, c.cfg.ReadTimeout)
}

// ReadFrameWithin is ReadFrame with its own bound instead of ReadTimeout.
func (c *Conn) ReadFrameWithin(ctx context.Context, d time.Duration) (Frame, error) {
	// A queued frame comes before the reason the connection ended.
	select {
	case f := <-c.frames:
		return f, nil
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case f := <-c.frames:
		return f, nil
	case <-c.done:
		select {
		case f := <-c.frames:
			return f, nil
		default:
		}
		return Frame{}, c.Err()
	case <-t.C:
		return Frame{}, &TimeoutError{After: d}
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	}
}

// Err is why the connection ended, nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.readErr
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// WriteText sends one text message within WriteTimeout.
func (c *Conn) WriteText(ctx context.Context, msg []byte) error {
	wctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, msg); err != nil {
		if e := c.Err(); e != nil {
			return e
		}
		reason, _ := mmapi.TransportReason(err)
		if reason == "" {
			reason = fmt.Sprintf("timeout after %s", c.cfg.WriteTimeout)
		}
		return &mmapi.UnavailableError{Reason: c.cfg.Redactor.Text("websocket write to " + c.url + ": " + reason), Err: err}
	}
	return nil
}

// Ping sends a websocket ping and waits for its pong within WriteTimeout
// (the Manager push answers its text ping with a pong frame; this is the
// transport's own).
func (c *Conn) Ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Ping(pctx)
}

// Close closes the connection normally; it is safe to call more than once.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.fail(ErrClosed)
		close(c.closing)
		err = c.ws.CloseNow()
		<-c.done
	})
	return err
}

// Inflate returns a compressed binary frame's payload: gzip (the vendor's
// H5 client gunzips), zlib ("libz compression on the entire packet") or raw
// deflate, told apart by their headers. It reads at most max bytes of
// output: more is a compression bomb, a *FrameError of kind
// InflateTooLarge; a payload that does not inflate is InflateFailed.
func Inflate(data []byte, max int64) ([]byte, error) {
	var (
		r   io.Reader
		err error
	)
	switch {
	case len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b:
		r, err = gzip.NewReader(bytes.NewReader(data))
	case len(data) >= 2 && data[0]&0x0f == 8 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0:
		r, err = zlib.NewReader(bytes.NewReader(data))
	default:
		r = flate.NewReader(bytes.NewReader(data))
	}
	if err != nil {
		return nil, &FrameError{Kind: InflateFailed, Reason: "a binary frame does not inflate: " + oneline.Collapse(err.Error(), 120)}
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, &FrameError{Kind: InflateFailed, Reason: "a binary frame does not inflate: " + oneline.Collapse(err.Error(), 120)}
	}
	if int64(len(out)) > max {
		return nil, &FrameError{Kind: InflateTooLarge, Reason: fmt.Sprintf("a %d-byte binary frame inflates beyond the %d-byte cap (a compression bomb)", len(data), max)}
	}
	return out, nil
}
