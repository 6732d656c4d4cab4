// Package receivers is the registry of alert receiver types: the one list
// that config validation, documentation and --help derive from. Adding a
// receiver is one package under runner/alert and one line here. It is a
// separate package because the receivers import alert for Event; a map in
// alert itself would need them and form a cycle.
package receivers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/alertmanager"
	"github.com/mmcontract/mmcontract/runner/alert/pagerduty"
	"github.com/mmcontract/mmcontract/runner/alert/slack"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

// Receivers maps a receiver "type" to its constructor.
var Receivers = map[string]func(alert.ReceiverConfig) (alert.Notifier, error){
	"webhook":      adapt(webhook.New),
	"slack":        adapt(slack.New),
	"pagerduty":    adapt(pagerduty.New),
	"alertmanager": adapt(alertmanager.New),
}

// adapt turns a typed constructor into a registry entry, returning a nil
// interface (not a typed nil) on error.
func adapt[N alert.Notifier](newN func(alert.ReceiverConfig) (N, error)) func(alert.ReceiverConfig) (alert.Notifier, error) {
	return func(cfg alert.ReceiverConfig) (alert.Notifier, error) {
		n, err := newN(cfg)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
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

// New builds the receiver cfg.Type describes.
func New(cfg alert.ReceiverConfig) (alert.Notifier, error) {
	newN, ok := Receivers[cfg.Type]
	if !ok {
		return nil, fmt.Errorf("receiver %q: type: unknown type %q (want one of %s)", cfg.Name, cfg.Type,
			strings.Join(Types(), ", "))
	}
	return newN(cfg)
}
