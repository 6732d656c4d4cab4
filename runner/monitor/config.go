package monitor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/redact"

	"github.com/onsi/ginkgo/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/alertmanager"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
)

// Config is the monitor's YAML file. Decoding is strict: an unknown key is an
// error, so a typo never silently disables a job or an alert.
type Config struct {
	Listen    string `yaml:"listen"`
	AuthToken string `yaml:"auth_token"` // bearer token for HTTP; required when Listen is not loopback
	// Store is the history store: an SQLite file path, or a postgres:// URL
	// (several replicas may share one). StoreURLEnv, when set, wins.
	Store string `yaml:"store"`
	// RedactConfig is an optional redaction config file (see the README),
	// used by the monitor and passed to every run.
	RedactConfig string `yaml:"redact_config"`
	// ShutdownGrace is how long a running child may finish after SIGTERM
	// or SIGINT before it is stopped; default 30s.
	ShutdownGrace Duration          `yaml:"shutdown_grace"`
	Retention     Retention         `yaml:"retention"`
	Targets       map[string]Target `yaml:"targets"`
	Jobs          []Job             `yaml:"jobs"`
	Alerting      Alerting          `yaml:"alerting"`
	Health        Health            `yaml:"health"`
}

// Health sets what /healthz tolerates before it answers 503.
type Health struct {
	// MaxOutboxAge: a notification pending longer than this makes the
	// monitor unhealthy (a receiver has been unreachable for that long);
	// default 10m.
	MaxOutboxAge Duration `yaml:"max_outbox_age"`
}

// Retention bounds the history store.
type Retention struct {
	MaxAge  Duration `yaml:"max_age"`  // default 720h (30 days)
	MaxRuns int      `yaml:"max_runs"` // per job; default 10000
}

// Target is one vendor environment and its credentials. Secrets come from
// ${VAR} expansion, never from the file itself.
type Target struct {
	BaseURL          string `yaml:"base_url"` // empty: the embedded simulator
	CompanyID        string `yaml:"company_id"`
	LoginName        string `yaml:"login_name"`
	LoginPassword    string `yaml:"login_password"`
	LoginType        int    `yaml:"login_type"`
	Token            string `yaml:"token"`
	Lang             string `yaml:"lang"`
	AppID            string `yaml:"app_id"`
	AppSecret        string `yaml:"app_secret"`
	APIKey           string `yaml:"api_key"`
	APISecret        string `yaml:"api_secret"`
	CompanyPublicKey string `yaml:"company_public_key"`
	// Auth2AppID and Auth2AppSecret are the Auth2 application of the
	// auth2 specs (MM_AUTH2_APP_ID, MM_AUTH2_APP_SECRET); Auth2BaseURL
	// moves the Auth2 API (MM_AUTH2_BASE_URL).
	Auth2AppID     string `yaml:"auth2_app_id"`
	Auth2AppSecret string `yaml:"auth2_app_secret"`
	Auth2BaseURL   string `yaml:"auth2_base_url"`
	// RatePerMinute is the target's budget per operation (default the
	// client's 240). The target's suite jobs share it: SetDefaults leaves
	// each job's share here (budget / jobs, at least 1), which the child
	// gets as MM_RATE_PER_MINUTE.
	RatePerMinute int    `yaml:"rate_per_minute"`
	Insecure      bool   `yaml:"insecure"`
	Scenario      string `yaml:"scenario"` // simulator scenario, only without base_url

	// rateBudget is RatePerMinute as written (0: the default), kept so
	// that SetDefaults can run twice without dividing twice.
	rateBudget *int
}

// Job is one scheduled check.
type Job struct {
	Name           string   `yaml:"name"`
	Kind           string   `yaml:"kind"` // "suite" (default), "spec" or "feed"
	Target         string   `yaml:"target"`
	Schedule       string   `yaml:"schedule"`
	LabelFilter    string   `yaml:"label_filter"`
	Timeout        Duration `yaml:"timeout"`         // whole run; default 2m
	Baseline       string   `yaml:"baseline"`        // optional baseline directory
	Jitter         Duration `yaml:"jitter"`          // optional random delay per tick
	FlakeAttempts  int      `yaml:"flake_attempts"`  // default 2
	RequestTimeout Duration `yaml:"request_timeout"` // per request; default 15s
	Source         string   `yaml:"source"`          // kind spec: the vendor OpenAPI file or URL
	Family         string   `yaml:"family"`          // kind spec: client (default), manager, auth2
	// Feed configures a kind feed job: one quote connection kept open.
	Feed *Feed `yaml:"feed"`

	// baselineAsWritten is Baseline before it was resolved against the
	// config file's folder: messages name what the user wrote.
	baselineAsWritten string
}

// Feed is a feed job's section: which quote socket to keep open, what to
// subscribe, how often to heartbeat, and the SLOs whose breach pages.
type Feed struct {
	// Socket is quote_guest (default, no token), quote or quote_stock
	// (both take the target's token).
	Socket  string       `yaml:"socket"`
	Symbols []FeedSymbol `yaml:"symbols"`
	// HeartbeatInterval is how often 14008 is sent; default 10s, the
	// vendor's advice. The server closes a connection silent for 30 s.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// HeartbeatSLO: a heartbeat answered later than this, or not at all,
	// pages; default 5s.
	HeartbeatSLO Duration `yaml:"heartbeat_slo"`
	// PushGapSLO: no push for longer than this pages; default 30s.
	PushGapSLO Duration `yaml:"push_gap_slo"`
	// MinBackoff and MaxBackoff bound the wait before a reconnect, doubled
	// after each failed attempt; defaults 1s and 1m.
	MinBackoff Duration `yaml:"min_backoff"`
	MaxBackoff Duration `yaml:"max_backoff"`
	// MaxFrameBytes caps one frame; default 1 MiB.
	MaxFrameBytes int64 `yaml:"max_frame_bytes"`
}

// FeedSymbol is one product of a feed's subscription.
type FeedSymbol struct {
	SymbolID  uint64 `yaml:"symbol_id"`
	TradeType int    `yaml:"trade_type"`
	TradeMode int    `yaml:"trade_mode"`
}

// Feed sockets, by the name a feed's socket key takes.
var feedSockets = map[string]string{
	"quote_guest": quote.PathQuoteGuest,
	"quote":       quote.PathQuote,
	"quote_stock": quote.PathQuoteStock,
}

// setDefaults fills what a feed section may leave out.
func (f *Feed) setDefaults() {
	if f.Socket == "" {
		f.Socket = "quote_guest"
	}
	if f.HeartbeatInterval == 0 {
		f.HeartbeatInterval = Duration(10 * time.Second)
	}
	if f.HeartbeatSLO == 0 {
		f.HeartbeatSLO = Duration(5 * time.Second)
	}
	if f.PushGapSLO == 0 {
		f.PushGapSLO = Duration(30 * time.Second)
	}
	if f.MinBackoff == 0 {
		f.MinBackoff = Duration(time.Second)
	}
	if f.MaxBackoff == 0 {
		f.MaxBackoff = Duration(time.Minute)
	}
	if f.MaxFrameBytes == 0 {
		f.MaxFrameBytes = wsclient.DefaultMaxFrameBytes
	}
}

// validate checks a feed job; key is "jobs[i]".
func (f *Feed) validate(key string, j Job, t Target) error {
	key += ".feed"
	path, ok := feedSockets[f.Socket]
	switch {
	case !ok:
		return keyErr(key+".socket", "%q: want quote_guest, quote or quote_stock", f.Socket)
	case path != quote.PathQuoteGuest && t.Token == "":
		return keyErr(key+".socket", "%s needs the target's token (targets.%s.token); quote_guest needs none", f.Socket, j.Target)
	case len(f.Symbols) == 0:
		return keyErr(key+".symbols", "at least one symbol is required")
	case len(f.Symbols) > quote.MaxSymbols:
		return keyErr(key+".symbols", "%d symbols: a subscription takes at most %d", len(f.Symbols), quote.MaxSymbols)
	}
	seen := map[quote.Symbol]bool{}
	for i, s := range f.Symbols {
		sk := fmt.Sprintf("%s.symbols[%d]", key, i)
		if s.SymbolID == 0 {
			return keyErr(sk+".symbol_id", "required (a positive integer)")
		}
		if !slices.Contains([]int{1, 2, 3, 5, 6}, s.TradeType) {
			return keyErr(sk+".trade_type", "%d: want 1 (full-margin), 2 (isolated), 3 (leverage), 5 (spot) or 6 (stock)", s.TradeType)
		}
		if s.TradeMode < 0 || s.TradeMode > 4 {
			return keyErr(sk+".trade_mode", "%d: want 0 to 4", s.TradeMode)
		}
		qs := s.quote()
		if seen[qs] {
			return keyErr(sk, "duplicate symbol %s", qs)
		}
		seen[qs] = true
	}
	hb := f.HeartbeatInterval.D()
	switch {
	case hb < 100*time.Millisecond || hb >= 30*time.Second:
		return keyErr(key+".heartbeat_interval", "%s: want at least 100ms and under 30s (the server closes a connection silent for 30 s)", hb)
	case f.HeartbeatSLO.D() <= 0 || f.HeartbeatSLO.D() > hb:
		return keyErr(key+".heartbeat_slo", "%s: want positive and at most heartbeat_interval (%s)", f.HeartbeatSLO.D(), hb)
	case f.PushGapSLO.D() < time.Second:
		return keyErr(key+".push_gap_slo", "%s: want at least 1s", f.PushGapSLO.D())
	case f.MinBackoff.D() <= 0:
		return keyErr(key+".min_backoff", "must be positive")
	case f.MaxBackoff.D() < f.MinBackoff.D():
		return keyErr(key+".max_backoff", "%s is shorter than min_backoff (%s)", f.MaxBackoff.D(), f.MinBackoff.D())
	case f.MaxFrameBytes < 1024:
		return keyErr(key+".max_frame_bytes", "%d: want at least 1024", f.MaxFrameBytes)
	}
	return nil
}

// quote is the symbol as the quote protocol names it.
func (s FeedSymbol) quote() quote.Symbol {
	return quote.Symbol{SymbolID: s.SymbolID, TradeType: s.TradeType, TradeMode: s.TradeMode}
}

// Alerting configures receivers, routes and the alert rules.
type Alerting struct {
	// Receivers are the registry's entries: each is decoded strictly into
	// its receiver type's own Config, which owns its keys and names the one
	// at fault; Routes are the alert package's own type. Their yaml tags are
	// the file format, so there is no second struct to keep in step.
	Receivers        []receivers.Config `yaml:"receivers"`
	Routes           []alert.Route      `yaml:"routes"`
	UnavailableAfter int                `yaml:"unavailable_after"`  // consecutive unavailable runs before paging; default 3
	Reminder         Duration           `yaml:"reminder"`           // re-notify still-firing alerts; default 0 (never)
	SpecInvalidAfter Duration           `yaml:"spec_invalid_after"` // an invalid spec publish pages only if not fixed within this; default 24h
	ErrorAfter       int                `yaml:"error_after"`        // consecutive error runs (harness failures) before paging; default 3
	// FlapWindow holds resolves back so that an alert firing again within
	// it stays one incident; default 5m; "0s" turns damping off, explicitly.
	FlapWindow *Duration `yaml:"flap_window"`
	// MaxBackoff caps the delay between delivery attempts of a pending
	// notification: a receiver that recovers gets everything within about
	// this long; default 30s.
	MaxBackoff Duration `yaml:"max_backoff"`
	Watchdog   Watchdog `yaml:"watchdog"`
}

// Watchdog is the always-firing heartbeat alert: a receiver that stops
// getting it knows the monitor is gone (Alertmanager's Watchdog habit, routed
// there to a dead man's switch).
type Watchdog struct {
	// Enabled defaults to true; only an explicit false turns it off.
	Enabled *bool `yaml:"enabled"`
	// Interval between heartbeats; default 1m. Each one expires after three.
	Interval Duration `yaml:"interval"`
	// Receivers get the heartbeat; default every alertmanager receiver.
	Receivers []string `yaml:"receivers"`
}

// On reports whether the watchdog runs.
func (w Watchdog) On() bool { return w.Enabled == nil || *w.Enabled }

// Duration is a time.Duration written as "2m", "30s", "720h".
type Duration time.Duration

// UnmarshalYAML parses Go duration syntax with a message naming the value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration like 30s or 2m", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (want e.g. 30s, 2m, 720h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ConfigError names the key at fault, e.g. jobs[0].schedule.
type ConfigError struct {
	Key string
	Err error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config %s: %v", e.Key, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

func keyErr(key string, format string, a ...any) error {
	return &ConfigError{Key: key, Err: fmt.Errorf(format, a...)}
}

var envRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`) })

// LoadConfig reads, expands and strictly decodes the file, then validates it.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Key: "file", Err: err}
	}
	return parseConfig(raw, getenv, filepath.Dir(path))
}

// ParseConfig decodes strictly, expands ${VAR} from getenv and validates.
//
// Expansion happens in the decoded YAML tree, in scalar values only, never
// in the text: a password containing '#', ': ', a quote or a newline would
// otherwise end its scalar early or inject keys. So ${VAR} works in string
// values (the only place secrets go), and the strict decode of the file as
// written reports unknown keys with their true line numbers. A referenced
// variable that is unset is an error: an empty password would otherwise read
// as a vendor rejecting us.
func ParseConfig(raw []byte, getenv func(string) string) (*Config, error) {
	return parseConfig(raw, getenv, "")
}

// parseConfig is ParseConfig for a file in dir: a relative job baseline is
// taken relative to the file (the monitor's working directory is often /
// under a service manager), and children get the resolved path.
func parseConfig(raw []byte, getenv func(string) string, dir string) (*Config, error) {
	var check Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(&check)
	if errors.Is(err, io.EOF) {
		return nil, &ConfigError{Key: "file", Err: fmt.Errorf("empty configuration")}
	}
	if err := unknownKeys(err, check.Alerting.Receivers); err != nil {
		return nil, &ConfigError{Key: "yaml", Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &ConfigError{Key: "yaml", Err: err}
	}
	missing := map[string]bool{}
	expandNode(&doc, getenv, missing)
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, &ConfigError{Key: "environment", Err: fmt.Errorf("unset variable(s) referenced with ${…}: %s", strings.Join(names, ", "))}
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		return nil, &ConfigError{Key: "yaml", Err: err}
	}
	if v := getenv(StoreURLEnv); v != "" {
		c.Store = v
	}
	c.SetDefaults()
	for i := range c.Jobs {
		if b := c.Jobs[i].Baseline; dir != "" && b != "" && !filepath.IsAbs(b) {
			c.Jobs[i].Baseline, c.Jobs[i].baselineAsWritten = filepath.Join(dir, b), b
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// expandNode replaces ${VAR} in every scalar value of the tree (keys are
// left alone) and records unset variables in missing.
func expandNode(n *yaml.Node, getenv func(string) string, missing map[string]bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = envRef().ReplaceAllStringFunc(n.Value, func(m string) string {
			name := envRef().FindStringSubmatch(m)[1]
			v := getenv(name)
			if v == "" {
				missing[name] = true
			}
			return v
		})
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandNode(n.Content[i], getenv, missing)
		}
	default:
		for _, c := range n.Content {
			expandNode(c, getenv, missing)
		}
	}
}

// StoreURLEnv names the environment variable that, when set, replaces the
// config's store: a Kubernetes Secret can carry a Postgres URL with its
// password without a ${VAR} in every config file.
const StoreURLEnv = "MM_STORE_URL"

// PostgresRunsDir is where a monitor on a PostgreSQL store keeps run output
// folders, relative to its working directory.
const PostgresRunsDir = "mmcontract-runs"

// SetDefaults fills what the file may leave out.
func (c *Config) SetDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9464"
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = Duration(30 * time.Second)
	}
	if c.Store == "" {
		c.Store = "mmcontract-history.db"
	}
	if c.Retention.MaxAge == 0 {
		c.Retention.MaxAge = Duration(30 * 24 * time.Hour)
	}
	if c.Retention.MaxRuns == 0 {
		c.Retention.MaxRuns = 10000
	}
	if c.Alerting.UnavailableAfter == 0 {
		c.Alerting.UnavailableAfter = 3
	}
	if c.Alerting.SpecInvalidAfter == 0 {
		c.Alerting.SpecInvalidAfter = Duration(24 * time.Hour)
	}
	if c.Alerting.ErrorAfter == 0 {
		c.Alerting.ErrorAfter = alert.DefaultErrorAfter
	}
	if c.Alerting.FlapWindow == nil {
		d := Duration(DefaultFlapWindow)
		c.Alerting.FlapWindow = &d
	}
	if c.Alerting.MaxBackoff == 0 {
		c.Alerting.MaxBackoff = Duration(alert.DefaultMaxBackoff)
	}
	if c.Alerting.Watchdog.Interval == 0 {
		c.Alerting.Watchdog.Interval = Duration(time.Minute)
	}
	if c.Alerting.Watchdog.Receivers == nil {
		for _, r := range c.Alerting.Receivers {
			if r.Type == alertmanager.Type {
				c.Alerting.Watchdog.Receivers = append(c.Alerting.Watchdog.Receivers, r.Name)
			}
		}
	}
	if c.Health.MaxOutboxAge == 0 {
		c.Health.MaxOutboxAge = Duration(10 * time.Minute)
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Kind == "" {
			j.Kind = "suite"
		}
	}
	c.shareRates()
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Timeout == 0 {
			j.Timeout = Duration(2 * time.Minute)
		}
		if j.FlakeAttempts == 0 {
			j.FlakeAttempts = 2
		}
		if j.RequestTimeout == 0 {
			j.RequestTimeout = Duration(15 * time.Second)
		}
		if j.Family == "" {
			j.Family = "client"
		}
		if j.Feed != nil {
			j.Feed.setDefaults()
		}
	}
}

// shareRates divides each target's per-operation budget among its suite
// jobs. Jobs of different names may run at the same time, and the vendor
// counts every request per endpoint per company or key, so each job gets
// budget/jobs (at least 1 per minute): together they never exceed the
// budget, whatever overlaps. A target with one job keeps its budget.
func (c *Config) shareRates() {
	jobs := map[string]int{}
	for _, j := range c.Jobs {
		if j.Kind == "suite" {
			jobs[j.Target]++
		}
	}
	for name, t := range c.Targets {
		if t.rateBudget == nil {
			budget := t.RatePerMinute
			t.rateBudget = &budget
		}
		// A negative rate is Validate's to refuse; one job keeps the budget.
		if budget := *t.rateBudget; budget >= 0 && jobs[name] > 1 {
			if budget == 0 {
				budget = mmapi.DefaultRatePerMinute
			}
			t.RatePerMinute = max(1, budget/jobs[name])
		}
		c.Targets[name] = t
	}
}

var jobName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`) })

// Validate checks every section and names the key at fault.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return keyErr("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if _, err := redact.LoadFile(c.RedactConfig); err != nil {
		return keyErr("redact_config", "%v", err)
	}
	if !isLoopback(host) && c.AuthToken == "" {
		return keyErr("auth_token", "required when listen (%s) is not a loopback address", c.Listen)
	}
	if c.ShutdownGrace < 0 {
		return keyErr("shutdown_grace", "must not be negative")
	}
	if c.Retention.MaxAge < 0 {
		return keyErr("retention.max_age", "must not be negative")
	}
	if c.Retention.MaxRuns < 0 {
		return keyErr("retention.max_runs", "must not be negative")
	}
	if len(c.Targets) == 0 {
		return keyErr("targets", "at least one target is required")
	}
	for name, t := range c.Targets {
		key := "targets." + name
		if t.BaseURL != "" {
			u, err := url.Parse(t.BaseURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return keyErr(key+".base_url", "%q is not an http(s) URL", t.BaseURL)
			}
			if t.CompanyID == "" {
				return keyErr(key+".company_id", "required with base_url")
			}
			if t.Token == "" && (t.LoginName == "" || t.LoginPassword == "") && (t.AppID == "" || t.AppSecret == "") && t.APIKey == "" {
				return keyErr(key, "no credentials: set login_name and login_password, token, app_id and app_secret, or api_key and api_secret")
			}
			if t.Scenario != "" {
				return keyErr(key+".scenario", "only for the simulator (a target without base_url)")
			}
		}
		if t.Scenario != "" && !slices.Contains(simulator.ScenarioNames(), t.Scenario) {
			return keyErr(key+".scenario", "unknown simulator scenario %q%s (see mmcontract sim -list)", t.Scenario,
				didYouMean(t.Scenario, simulator.ScenarioNames()))
		}
		if t.LoginType < 0 || t.LoginType > 3 {
			return keyErr(key+".login_type", "must be 1 (email), 2 (phone) or 3 (account)")
		}
		if (t.APIKey == "") != (t.APISecret == "") {
			return keyErr(key+".api_secret", "api_key and api_secret go together")
		}
		if (t.AppID == "") != (t.AppSecret == "") {
			return keyErr(key+".app_secret", "app_id and app_secret go together")
		}
		if (t.Auth2AppID == "") != (t.Auth2AppSecret == "") {
			return keyErr(key+".auth2_app_secret", "auth2_app_id and auth2_app_secret go together")
		}
		if t.RatePerMinute < 0 {
			return keyErr(key+".rate_per_minute", "must not be negative")
		}
	}
	if len(c.Jobs) == 0 {
		return keyErr("jobs", "at least one job is required")
	}
	seen := map[string]bool{}
	for i, j := range c.Jobs {
		key := fmt.Sprintf("jobs[%d]", i)
		if !jobName().MatchString(j.Name) {
			return keyErr(key+".name", "%q: want lowercase letters, digits, - and _ (at most 63)", j.Name)
		}
		if seen[j.Name] {
			return keyErr(key+".name", "duplicate job name %q", j.Name)
		}
		seen[j.Name] = true
		if j.Kind == "feed" {
			if err := validateFeedJob(key, j, c.Targets); err != nil {
				return err
			}
			continue
		}
		if j.Feed != nil {
			return keyErr(key+".feed", "only for kind feed")
		}
		if _, err := ParseSchedule(j.Schedule); err != nil {
			return keyErr(key+".schedule", "%v", err)
		}
		if j.Timeout.D() <= 0 {
			return keyErr(key+".timeout", "must be positive")
		}
		if j.Jitter < 0 {
			return keyErr(key+".jitter", "must not be negative")
		}
		switch j.Kind {
		case "suite":
			if _, ok := c.Targets[j.Target]; !ok {
				return keyErr(key+".target", "unknown target %q (defined: %s)", j.Target, strings.Join(targetNames(c.Targets), ", "))
			}
			if _, err := types.ParseLabelFilter(j.LabelFilter); err != nil {
				return keyErr(key+".label_filter", "%q: %s", j.LabelFilter, labelFilterReason(err))
			}
			if j.Source != "" {
				return keyErr(key+".source", "only for kind spec")
			}
			if j.Baseline != "" {
				name, where := j.Baseline, ""
				if j.baselineAsWritten != "" {
					name, where = j.baselineAsWritten, " next to the config file"
				}
				switch fi, err := os.Stat(j.Baseline); {
				case err != nil:
					return keyErr(key+".baseline", "%s does not exist%s (create it with mmcontract baseline accept)", name, where)
				case !fi.IsDir():
					return keyErr(key+".baseline", "%s is not a directory", name)
				}
			}
			if j.FlakeAttempts < 1 || j.FlakeAttempts > 5 {
				return keyErr(key+".flake_attempts", "must be between 1 and 5")
			}
			if j.RequestTimeout.D() <= 0 || j.RequestTimeout.D() >= j.Timeout.D() {
				return keyErr(key+".request_timeout", "must be positive and shorter than the job timeout")
			}
		case "spec":
			if j.Source == "" {
				return keyErr(key+".source", "required for kind spec (a file path or an http(s) URL)")
			}
			switch j.Family {
			case "client", "manager", "auth2", "webhook":
			default:
				return keyErr(key+".family", "%q: want client, manager, auth2 or webhook", j.Family)
			}
		default:
			return keyErr(key+".kind", "%q: want suite, spec or feed", j.Kind)
		}
	}
	if c.Health.MaxOutboxAge < 0 {
		return keyErr("health.max_outbox_age", "must not be negative")
	}
	return c.Alerting.validate()
}

// validateFeedJob checks a kind feed job: it runs continuously, so it has
// no schedule and none of a suite's keys, and its feed section is required.
func validateFeedJob(key string, j Job, targets map[string]Target) error {
	t, ok := targets[j.Target]
	switch {
	case !ok:
		return keyErr(key+".target", "unknown target %q (defined: %s)", j.Target, strings.Join(targetNames(targets), ", "))
	case j.Schedule != "":
		return keyErr(key+".schedule", "a feed job runs continuously and reconnects by itself: remove schedule")
	case j.LabelFilter != "" || j.Baseline != "" || j.Source != "":
		return keyErr(key, "label_filter, baseline and source are not for kind feed (schedule the websocket specs with a suite job and label_filter: websocket)")
	case j.Feed == nil:
		return keyErr(key+".feed", "required for kind feed (socket, symbols, SLOs)")
	}
	return j.Feed.validate(key, j, t)
}

func (a Alerting) validate() error {
	names := map[string]bool{}
	for i, r := range a.Receivers {
		key := fmt.Sprintf("alerting.receivers[%d]", i)
		if r.Name == "" {
			return keyErr(key+".name", "required")
		}
		if names[r.Name] {
			return keyErr(key+".name", "duplicate receiver %q", r.Name)
		}
		names[r.Name] = true
		if err := validateReceiver(key, r); err != nil {
			return err
		}
	}
	for i, r := range a.Routes {
		key := fmt.Sprintf("alerting.routes[%d]", i)
		if !names[r.Receiver] {
			return keyErr(key+".receiver", "unknown receiver %q", r.Receiver)
		}
		for _, s := range r.Severities {
			if !s.Valid() {
				return keyErr(key+".severity", "%q: want critical, warning or info", s)
			}
		}
	}
	if a.UnavailableAfter < 1 {
		return keyErr("alerting.unavailable_after", "must be at least 1")
	}
	if a.Reminder < 0 {
		return keyErr("alerting.reminder", "must not be negative")
	}
	if a.ErrorAfter < 1 {
		return keyErr("alerting.error_after", "must be at least 1")
	}
	if a.FlapWindow != nil && *a.FlapWindow < 0 {
		return keyErr("alerting.flap_window", "must not be negative (0s turns flap damping off)")
	}
	if a.MaxBackoff < 0 || (a.MaxBackoff > 0 && a.MaxBackoff.D() < time.Second) {
		return keyErr("alerting.max_backoff", "must be at least 1s")
	}
	if a.Watchdog.Interval < 0 || (a.Watchdog.Interval > 0 && a.Watchdog.Interval.D() < time.Second) {
		return keyErr("alerting.watchdog.interval", "must be at least 1s")
	}
	for i, name := range a.Watchdog.Receivers {
		if !names[name] {
			return keyErr(fmt.Sprintf("alerting.watchdog.receivers[%d]", i), "unknown receiver %q", name)
		}
	}
	return nil
}

// DefaultFlapWindow is alerting.flap_window's default, Alertmanager's
// group_interval.
const DefaultFlapWindow = 5 * time.Minute

// validateReceiver checks a receiver against the registry: the type must be
// registered, and its constructor (which decodes the type's own config
// strictly, validates it and never echoes a URL that may embed a secret)
// must accept it. Building the notifier is cheap and has no side effect.
func validateReceiver(key string, r receivers.Config) error {
	if _, err := r.Registration(); err != nil {
		return keyErr(key+".type", "unknown receiver type %q (want one of %s)", r.Type, strings.Join(receivers.Types(), ", "))
	}
	if _, err := receivers.New(r); err != nil {
		return receiverErr(key, err)
	}
	return nil
}

// receiverErr names the key of a receiver's error: the receiver's own
// *alert.FieldError says which field, e.g. "webhook receiver "x": url:
// required" is key.url.
func receiverErr(key string, err error) error {
	var fe *alert.FieldError
	if errors.As(err, &fe) {
		return &ConfigError{Key: key + "." + fe.Field, Err: err}
	}
	return &ConfigError{Key: key, Err: err}
}

// labelFilterReason turns Ginkgo's multi-line, colour-coded parse error
// into one plain line.
func labelFilterReason(err error) string {
	var ge types.GinkgoError
	if errors.As(err, &ge) {
		msg := oneline.Collapse(ansi().ReplaceAllString(ge.Message, ""), 0)
		return strings.TrimSpace(ansi().ReplaceAllString(ge.Heading, "") + ": " + msg)
	}
	return oneline.Collapse(ansi().ReplaceAllString(err.Error(), ""), 0)
}

var ansi = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\x1b\[[0-9;]*m`) })

func targetNames(m map[string]Target) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// failOnDefault documents what a scheduled run fails on: alerts come from the
// results, not the exit code, so the child's --fail-on only shapes its log.
var failOnDefault = verdict.DefaultFailOn
