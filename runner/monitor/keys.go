package monitor

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldNotFound is yaml.v3's strict-decoding message for an unknown key.
var fieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// unknownKeys rewrites yaml.v3's "field x not found in type monitor.Job"
// into the user's vocabulary: the key, where it sits, the keys allowed there
// and the closest one ("did you mean"). Other errors pass through.
func unknownKeys(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		m := fieldNotFound.FindStringSubmatch(e)
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
	return errors.New(strings.Join(lines, "; "))
}

// sections maps the Go type yaml.v3 names to the section a user sees.
var sections = map[string]struct {
	name string
	t    reflect.Type
}{}

func init() {
	for name, v := range map[string]any{
		"":                     Config{},
		"retention":            Retention{},
		"targets.<name>":       Target{},
		"jobs[]":               Job{},
		"alerting":             Alerting{},
		"alerting.receivers[]": Config{}.Alerting.Receivers,
		"alerting.routes[]":    Config{}.Alerting.Routes,
		"alerting.watchdog":    Watchdog{},
		"health":               Health{},
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

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to s
// by edit distance, when it is close enough to be a typo.
func didYouMean(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
