package suites

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/schemas"
)

// Env is everything the specs depend on. The runner builds one per run.
type Env struct {
	// Clients per API family; a nil family client means its credentials are
	// absent and its specs are skipped with that reason.
	Client  *mmapi.Client
	OpenAPI *mmapi.Client
	Manager *mmapi.Client
	// OpenAPIVariant builds an Open API client that signs with another
	// apiKey or secret key ("" / nil: the configured one), for the negative
	// specs. Nil when OpenAPI is nil.
	OpenAPIVariant func(apiKey string, key *rsa.PrivateKey) (*mmapi.Client, error)
	// Auth2 is the Auth2 application; its specs call through Client (the
	// code step needs the customer's login) and skip, naming the missing
	// variables, when its id or secret is absent.
	Auth2 Auth2Config

	Schemas  *schemas.Set
	Redactor *redact.Redactor
	// Drift compares each response shape with the accepted baseline, or with
	// the schema when there is none.
	Drift driftChecker

	// Simulator is true when the target is the embedded simulator, the only
	// target where mutating specs may run without AllowMutations.
	Simulator      bool
	AllowMutations bool
	// MaxOrderNotional caps the notional (price × volume × contract size)
	// of any order a mutating spec places; 0 means no cap, which only the
	// simulator is run with.
	MaxOrderNotional float64

	// RequestTimeout is the per-request timeout; spec timeouts derive from it.
	RequestTimeout time.Duration
	// Retries is the client's transient retry budget, used to size node timeouts.
	Retries int

	// Setup, when set, is a set-up problem the runner found before the run
	// (a rejected login, a base URL that is not the server root): every
	// check that would call the vendor reports it as verdict config instead,
	// without calling. A run-wide fault budget against an outage lives in
	// the clients' shared mmapi.Breaker.
	Setup *verdict.ConfigError

	// Websocket is how the websocket specs connect to the target's
	// sockets; nil skips them with that reason.
	Websocket *WebsocketTarget
	// OpenMsgAppID is the {appId} of the Open API trade-message socket's
	// path: the Open API key, the credential getMsgPushToken issues the
	// socket's token to.
	OpenMsgAppID string

	// Include, when set, narrows the tree to the operations it accepts (by
	// OperationKey): a shard of a sharded run. Nil includes every operation.
	Include func(operation string) bool

	// Selects, when set, is the run's label filter (Ginkgo's, parsed):
	// the specs whose labels it rejects are left out of the tree, instead
	// of being built, ordered and reported as skipped by Ginkgo, which
	// would select exactly the same specs. Nil selects every spec.
	Selects func(labels []string) bool

	// rejected is the set-up problem found during the run: the vendor
	// refused the session token.
	rejected atomic.Pointer[verdict.ConfigError]
	// specOps maps spec texts to the operation they check (OperationOf).
	specOps map[string]string
	// calls numbers each operation's calls, for the exchanges' ids.
	calls callCounter
}

// WebsocketTarget is the target's websockets as the specs reach them.
type WebsocketTarget struct {
	// Root is the sockets' origin, ws://host:port or wss://host: the
	// target's server root with its scheme made a websocket one.
	Root string
	// Config is the client's policy for every socket: the run's TLS
	// setting, its redactor, the target's host as the only one allowed,
	// the handshake timeout and the frame cap.
	Config wsclient.Config
	// QuoteSymbols are the products the quote specs subscribe to (at
	// least two: the resubscribe spec moves from the first to the
	// second); empty skips the specs that need them.
	QuoteSymbols []quote.Symbol
}

// callCounter numbers the calls of each operation in the order they are
// made: with the run's fixed spec order the same run gives the same ids.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// next is the ordinal (from 1) of the next call of the operation key.
func (c *callCounter) next(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
	return c.n[key]
}

// driftChecker is the consumer-side view of runner/drift.
type driftChecker interface {
	Check(family, bizType string, body []byte) (shape json.RawMessage, drift []contract.Drift, err error)
}

// caller is the part of *mmapi.Client the specs use.
type caller interface {
	CallWith(ctx context.Context, op mmapi.Operation, body any, o mmapi.CallOptions) (*mmapi.Exchange, error)
}

// CallTimeout bounds one logical call: every attempt plus backoff.
func (e *Env) CallTimeout() time.Duration {
	t := e.RequestTimeout
	if t <= 0 {
		t = 15 * time.Second
	}
	// Every attempt may take the full timeout, and every retry may first wait
	// out a 429 (the client caps such waits at 30 s).
	return time.Duration(e.Retries+1)*t + time.Duration(e.Retries)*30*time.Second + 10*time.Second
}
