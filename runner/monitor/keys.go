package monitor

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/internal/suggest"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
)

// fieldNotFound is yaml.v3's strict-decoding message for an unknown key.
var fieldNotFound = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`) })

// unknownKeys rewrites yaml.v3's "field x not found in type monitor.Job"
// into the user's vocabulary: the key, where it sits, the keys allowed there
// and the closest one ("did you mean"). Other errors pass through. The
// receivers decode their own keys: their unknown keys come as typed
// errors (alert.UnknownKeyError, with the line), listed after yaml.v3's.
// nil when there is nothing to report.
func unknownKeys(err error, rcs []receivers.Config) error {
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		return err
	}
	var lines []string
	if te != nil {
		lines = make([]string, 0, len(te.Errors))
	}
	for _, e := range errorsOf(te) {
		m := fieldNotFound().FindStringSubmatch(e)
		if m == nil {
			lines = append(lines, e)
			continue
		}
		section, known := sectionKeys(m[3])
		msg := fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
		if section != "" {
			msg += " in " + section
		}
		if hint := didYouMean(m[2], known); hint != "" {
			msg += hint
		} else if len(known) > 0 {
			msg += " (known keys: " + strings.Join(known, ", ") + ")"
		}
		lines = append(lines, msg)
	}
	for _, r := range rcs {
		for _, fe := range r.UnknownKeys() {
			var uk *alert.UnknownKeyError
			if !errors.As(fe, &uk) {
				continue
			}
			msg := fmt.Sprintf("line %d: unknown key %q in alerting.receivers[] (%s)", fe.Line, uk.Key, fe.Type)
			if hint := didYouMean(uk.Key, uk.Known); hint != "" {
				msg += hint
			} else {
				msg += " (known keys: " + strings.Join(uk.Known, ", ") + ")"
			}
			lines = append(lines, msg)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return errors.New(strings.Join(lines, "; "))
}

func errorsOf(te *yaml.TypeError) []string {
	if te == nil {
		return nil
	}
	return te.Errors
}

// sections maps the Go type yaml.v3 names to the section a user sees.
var sections = map[string]struct {
	name string
	t    reflect.Type
}{}

func init() {
	for name, v := range map[string]any{
		"":                      Config{},
		"retention":             Retention{},
		"targets.<name>":        Target{},
		"jobs[]":                Job{},
		"jobs[].feed":           Feed{},
		"jobs[].feed.symbols[]": []FeedSymbol{},
		"alerting":              Alerting{},
		"alerting.routes[]":     Config{}.Alerting.Routes,
		"alerting.watchdog":     Watchdog{},
		"health":                Health{},
	} {
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		sections[t.String()] = struct {
			name string
			t    reflect.Type
		}{name, t}
	}
}

// sectionKeys returns the section name and yaml keys of a Go type name.
func sectionKeys(typeName string) (string, []string) {
	s, ok := sections[typeName]
	if !ok {
		return "", nil
	}
	var keys []string
	for i := 0; i < s.t.NumField(); i++ {
		tag, _, _ := strings.Cut(s.t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	name := s.name
	if name == "" {
		name = "the top level"
	}
	return name, keys
}

// didYouMean returns ` (did you mean "x"?)` for a near miss, or "".
func didYouMean(s string, candidates []string) string {
	if best, ok := suggest.Nearest(s, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
