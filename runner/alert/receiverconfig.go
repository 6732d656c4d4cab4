package alert

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Each receiver type owns its config (Gatus's habit): its package declares a
// Config with the yaml keys it reads, decoded strictly (a key of another
// type is an error, not silently ignored), and its constructor returns a
// *FieldError naming the key at fault. What they share is here.

// HTTPConfig holds the keys every receiver has; each receiver's Config
// embeds it inline.
type HTTPConfig struct {
	// Timeout bounds one delivery attempt; default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Client overrides the HTTP client (tests, proxies). Not configurable.
	Client *http.Client `yaml:"-"`
}

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 10 * time.Second

// DefaultTTL is how long Alertmanager treats a firing alert as active
// without a refresh.
const DefaultTTL = 24 * time.Hour

// HTTPClient returns the client a receiver should use.
func (c HTTPConfig) HTTPClient() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return &http.Client{Timeout: c.AttemptTimeout()}
}

// AttemptTimeout is the bound of one delivery attempt: Timeout, or
// DefaultTimeout when it is not set.
func (c HTTPConfig) AttemptTimeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// Check returns the FieldError of the first shared key at fault, for the
// receiver name of type typ, or nil.
func (c HTTPConfig) Check(typ, name string) error {
	if c.Timeout < 0 {
		return &FieldError{Type: typ, Receiver: name, Field: "timeout", Err: ErrNegative}
	}
	return nil
}

// FieldError is a problem with one key of one receiver's config. Receivers
// return it so that whoever loads the config (the monitor) names the key
// from Field, never by reading the message.
type FieldError struct {
	Type     string // the receiver type, e.g. webhook
	Receiver string // the receiver's name
	Field    string // the yaml key, e.g. url, routing_key
	// Line is the key's line in the config file, when the problem was
	// found while decoding (an unknown key); 0 otherwise.
	Line int
	Err  error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s receiver %q: %s: %v", e.Type, e.Receiver, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Problems a FieldError may wrap.
var (
	ErrRequired = errors.New("required")
	ErrNegative = errors.New("must not be negative")
)

// UnknownKeyError is a key the receiver type does not have. Known lists the
// keys it has, for a "did you mean".
type UnknownKeyError struct {
	Key   string
	Known []string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("unknown key %q (known keys: %s)", e.Key, strings.Join(e.Known, ", "))
}

// CheckURL returns nil when raw is an absolute http(s) URL, and otherwise
// the problem (ErrRequired when it is empty). The error never echoes the
// URL: webhook URLs often embed their secret.
func CheckURL(raw string) error {
	if raw == "" {
		return ErrRequired
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}
