// Package receivers is the registry of alert receiver types: the one list
// that config validation, documentation and --help derive from. Adding a
// receiver is one package under runner/alert and one line here. It is a
// separate package because the receivers import alert for Event; a map in
// alert itself would need them and form a cycle.
//
// Each receiver type owns its config: an entry of alerting.receivers is
// decoded strictly into that type's own Config (webhook.Config,
// pagerduty.Config, ...), so a key another type has (routing_key on a
// webhook) is an unknown key, and every problem is an *alert.FieldError
// naming the key.
package receivers

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/alertmanager"
	"github.com/mmcontract/mmcontract/runner/alert/pagerduty"
	"github.com/mmcontract/mmcontract/runner/alert/slack"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

// Receivers maps a receiver "type" to its registration.
var Receivers = map[string]Registration{
	webhook.Type:      register(webhook.New),
	slack.Type:        register(slack.New),
	pagerduty.Type:    register(pagerduty.New),
	alertmanager.Type: register(alertmanager.New),
}

// Registration is one receiver type: its Config type and constructor.
type Registration struct {
	config reflect.Type     // the type's Config
	keys   []string         // its yaml keys, name and type first
	fields map[string][]int // yaml key -> field index path in config (name and type are the entry's)
	// build makes the Notifier of the receiver named name from a *Config.
	build func(name string, cfg any) (alert.Notifier, error)
}

// Keys returns the yaml keys an entry of this type may have.
func (r Registration) Keys() []string { return append([]string(nil), r.keys...) }

// register turns a typed constructor into a registration, returning a nil
// interface (not a typed nil) on error.
func register[C any, N alert.Notifier](newN func(string, C) (N, error)) Registration {
	t := reflect.TypeFor[C]()
	fields := map[string][]int{}
	keys := []string{"name", "type"}
	for _, f := range yamlFields(t, nil) {
		fields[f.key] = f.index
		keys = append(keys, f.key)
	}
	return Registration{config: t, keys: keys, fields: fields,
		build: func(name string, cfg any) (alert.Notifier, error) {
			n, err := newN(name, *cfg.(*C))
			if err != nil {
				return nil, err
			}
			return n, nil
		}}
}

type yamlField struct {
	key   string
	index []int
}

// yamlFields lists the yaml keys of struct type t and where each lives,
// following inline fields.
func yamlFields(t reflect.Type, at []int) []yamlField {
	var out []yamlField
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), at...), i)
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case tag == "-":
		case opts == "inline" && f.Type.Kind() == reflect.Struct:
			out = append(out, yamlFields(f.Type, index)...)
		case tag != "":
			out = append(out, yamlField{tag, index})
		}
	}
	return out
}

// Types returns the receiver types, sorted.
func Types() []string {
	out := make([]string, 0, len(Receivers))
	for t := range Receivers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Config is one entry of alerting.receivers: its name, its type, and the
// rest of its keys, which belong to the type. It decodes from YAML keeping
// the entry as written; Settings decodes it strictly into the type's own
// Config. Of builds one in Go.
type Config struct {
	Name string
	Type string

	node     *yaml.Node // the entry as written, when decoded from YAML
	settings any        // a *C of the type's Config, when built with Of
}

// Of returns the entry of a receiver named name with the typed config cfg
// (a webhook.Config, a pagerduty.Config, ...). It panics when cfg's type is
// not registered: that is a programming error, not a config one.
func Of[C any](name string, cfg C) Config {
	t := reflect.TypeFor[C]()
	for typ, r := range Receivers {
		if r.config == t {
			return Config{Name: name, Type: typ, settings: &cfg}
		}
	}
	panic(fmt.Sprintf("receivers.Of: %s is not a registered receiver config", t))
}

// UnmarshalYAML keeps the entry and reads its name and type; the type's own
// keys are decoded by Settings, strictly.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a receiver is a mapping of keys (name, type, ...)", n.Line)}}
	}
	*c = Config{node: n}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name":
			c.Name = n.Content[i+1].Value
		case "type":
			c.Type = n.Content[i+1].Value
		}
	}
	return nil
}

// Registration returns the registration of c's type, or a FieldError on
// its type key listing the known types.
func (c Config) Registration() (Registration, error) {
	r, ok := Receivers[c.Type]
	if !ok {
		return Registration{}, &alert.FieldError{Type: c.Type, Receiver: c.Name, Field: "type",
			Err: fmt.Errorf("unknown type %q (want one of %s)", c.Type, strings.Join(Types(), ", "))}
	}
	return r, nil
}

// UnknownKeys returns a FieldError (wrapping an *alert.UnknownKeyError,
// with the key's line) for each key of the entry its type does not have.
// An entry of an unknown type has none: its type is the problem.
func (c Config) UnknownKeys() []*alert.FieldError {
	r, ok := Receivers[c.Type]
	if !ok || c.node == nil {
		return nil
	}
	var out []*alert.FieldError
	for i := 0; i+1 < len(c.node.Content); i += 2 {
		k := c.node.Content[i]
		if !contains(r.keys, k.Value) {
			out = append(out, &alert.FieldError{Type: c.Type, Receiver: c.Name, Field: k.Value, Line: k.Line,
				Err: &alert.UnknownKeyError{Key: k.Value, Known: r.Keys()}})
		}
	}
	return out
}

// Settings decodes the entry strictly into its type's Config and returns it
// (a webhook.Config, ...). Errors are *alert.FieldError.
func (c Config) Settings() (any, error) {
	p, err := c.settingsPtr()
	if err != nil {
		return nil, err
	}
	return reflect.ValueOf(p).Elem().Interface(), nil
}

func (c Config) settingsPtr() (any, error) {
	r, err := c.Registration()
	if err != nil {
		return nil, err
	}
	if c.settings != nil {
		return c.settings, nil
	}
	if unknown := c.UnknownKeys(); len(unknown) > 0 {
		return nil, unknown[0]
	}
	p := reflect.New(r.config)
	if c.node == nil {
		return p.Interface(), nil
	}
	// Key by key, so that a value of the wrong kind is reported at its key.
	for i := 0; i+1 < len(c.node.Content); i += 2 {
		k, v := c.node.Content[i], c.node.Content[i+1]
		index, ok := r.fields[k.Value]
		if !ok {
			continue // name or type
		}
		field := p.Elem().FieldByIndex(index)
		if err := v.Decode(field.Addr().Interface()); err != nil {
			return nil, &alert.FieldError{Type: c.Type, Receiver: c.Name, Field: k.Value, Line: v.Line,
				Err: fmt.Errorf("line %d: want %s", v.Line, kindOf(field.Type()))}
		}
	}
	return p.Interface(), nil
}

// kindOf names what a key of type t takes, for a value of the wrong kind.
func kindOf(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration like 10s or 2m"
	case t.Kind() == reflect.String:
		return "a string"
	}
	return t.String()
}

// Timeout is the bound of one delivery attempt of the receiver.
func (c Config) Timeout() time.Duration {
	p, err := c.settingsPtr()
	if err != nil {
		return alert.DefaultTimeout
	}
	if t, ok := p.(interface{ AttemptTimeout() time.Duration }); ok {
		return t.AttemptTimeout()
	}
	return alert.DefaultTimeout
}

// Secrets lists the values of the receiver's config that no output may
// show (a webhook's secret, a PagerDuty routing key), for the redactor; none
// when its config does not decode.
func (c Config) Secrets() []string {
	p, err := c.settingsPtr()
	if err != nil {
		return nil
	}
	if s, ok := p.(interface{ Secrets() []string }); ok {
		return s.Secrets()
	}
	return nil
}

// New builds the receiver c describes. Errors are *alert.FieldError.
func New(c Config) (alert.Notifier, error) {
	p, err := c.settingsPtr()
	if err != nil {
		return nil, err
	}
	r, _ := c.Registration()
	return r.build(c.Name, p)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
