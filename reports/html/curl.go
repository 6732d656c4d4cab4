package html

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// secretKeys are the header and JSON keys whose values the curl command
// replaces with shell variables. They are the redactor's secret keys: the
// observation only holds a mask for them, so the only useful thing a copied
// command can carry is a variable the person fills in from their own
// environment. PII keys are not listed: their masked values are left as they
// are, since they are data, not credentials.
var secretKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range redact.DefaultConfig().SecretKeys {
		m[strings.ToLower(k)] = true
	}
	return m
}()

// skippedHeaders are set by curl itself from the command.
var skippedHeaders = map[string]bool{"content-length": true, "host": true, "accept-encoding": true, "connection": true}

// varName names the shell variable for a secret key: MM_ and the key in
// upper snake case, so token is $MM_TOKEN, apiKey $MM_API_KEY and signature
// $MM_SIGNATURE.
func varName(key string) string {
	var b strings.Builder
	b.WriteString("MM_")
	prevLower := false
	for _, r := range key {
		switch {
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			prevLower = false
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToUpper(r))
			prevLower = true
		default:
			if s := b.String(); !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// shellWord builds one shell word from literal text and variable
// references: literals are single-quoted (nothing in them expands), variables
// double-quoted.
type shellWord struct{ b strings.Builder }

func (w *shellWord) lit(s string) {
	if s == "" {
		return
	}
	if !strings.ContainsFunc(s, needsQuote) {
		w.b.WriteString(s)
		return
	}
	w.b.WriteByte('\'')
	w.b.WriteString(strings.ReplaceAll(s, `'`, `'\''`))
	w.b.WriteByte('\'')
}

// needsQuote reports whether r is special to a POSIX shell; words made only
// of other characters are left bare, which keeps the command readable.
func needsQuote(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r))
}

func (w *shellWord) variable(name string) { w.b.WriteString(`"$` + name + `"`) }

func (w *shellWord) String() string {
	if w.b.Len() == 0 {
		return "''"
	}
	return w.b.String()
}

// curlCommand reproduces a request as a copyable curl command. Secret headers
// and secret body fields become $MM_* variables; the variables the command
// needs are returned, sorted.
func curlCommand(method, url string, headers []header, body string) (string, []string) {
	vars := map[string]bool{}
	var b strings.Builder
	b.WriteString("curl -sS -X ")
	w := &shellWord{}
	w.lit(method)
	b.WriteString(w.String())
	w = &shellWord{}
	w.lit(url)
	b.WriteString(" " + w.String())
	for _, h := range headers {
		if skippedHeaders[strings.ToLower(h.Name)] {
			continue
		}
		w := &shellWord{}
		if secretKeys[strings.ToLower(h.Name)] {
			name := varName(h.Name)
			vars[name] = true
			w.lit(h.Name + ": ")
			w.variable(name)
		} else {
			w.lit(h.Name + ": " + h.Value)
		}
		b.WriteString(" \\\n  -H " + w.String())
	}
	if body != "" {
		w := &shellWord{}
		if err := jsonWord(w, body, vars); err != nil {
			// Not JSON (or not decodable): send it as it was recorded.
			w = &shellWord{}
			w.lit(body)
		}
		b.WriteString(" \\\n  --data-raw " + w.String())
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	slices.Sort(names)
	return b.String(), names
}

// jsonWord re-emits a JSON body compactly, in its original key order, with
// the value of every secret key replaced by a variable reference.
func jsonWord(w *shellWord, body string, vars map[string]bool) error {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var lit bytes.Buffer
	flush := func() { w.lit(lit.String()); lit.Reset() }
	var emitValue func(secretVar string) error
	emitValue = func(secretVar string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if secretVar != "" {
				// A secret object or array: skip it and put the variable
				// in its place, unquoted.
				if err := skip(dec); err != nil {
					return err
				}
				flush()
				w.variable(secretVar)
				vars[secretVar] = true
				return nil
			}
			switch d {
			case '{':
				lit.WriteByte('{')
				for i := 0; dec.More(); i++ {
					kt, err := dec.Token()
					if err != nil {
						return err
					}
					key, _ := kt.(string)
					if i > 0 {
						lit.WriteByte(',')
					}
					if err := writeJSON(&lit, key); err != nil {
						return err
					}
					lit.WriteByte(':')
					sv := ""
					if secretKeys[strings.ToLower(key)] {
						sv = varName(key)
					}
					if err := emitValue(sv); err != nil {
						return err
					}
				}
				if _, err := dec.Token(); err != nil {
					return err
				}
				lit.WriteByte('}')
			case '[':
				lit.WriteByte('[')
				for i := 0; dec.More(); i++ {
					if i > 0 {
						lit.WriteByte(',')
					}
					if err := emitValue(""); err != nil {
						return err
					}
				}
				if _, err := dec.Token(); err != nil {
					return err
				}
				lit.WriteByte(']')
			}
			return nil
		}
		if secretVar != "" && tok != nil {
			vars[secretVar] = true
			if _, isString := tok.(string); isString {
				lit.WriteByte('"')
				flush()
				w.variable(secretVar)
				lit.WriteByte('"')
			} else {
				flush()
				w.variable(secretVar)
			}
			return nil
		}
		return writeJSON(&lit, tok)
	}
	if err := emitValue(""); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after JSON body")
	}
	flush()
	return nil
}

// writeJSON writes v as compact JSON without HTML escaping: the command is
// shown as text and must read like the body that was sent.
func writeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// skip consumes the rest of the object or array whose opening delimiter was
// just read.
func skip(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if t, ok := tok.(json.Delim); ok {
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// websocatCommand reproduces a websocket exchange (the quote socket's: a
// ws:// or wss:// URL, the request frame as its body) as a websocat command
// that sends the frame and prints the answers; secret frame fields become
// $MM_* variables, as in curlCommand.
func websocatCommand(url, frame string) (string, []string) {
	vars := map[string]bool{}
	w := &shellWord{}
	if err := jsonWord(w, frame, vars); err != nil {
		w = &shellWord{}
		w.lit(frame)
	}
	u := &shellWord{}
	u.lit(url)
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	slices.Sort(names)
	return "printf '%s\\n' " + w.String() + " | websocat " + u.String(), names
}

// isWebsocket reports whether url is a websocket's.
func isWebsocket(url string) bool {
	return strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://")
}
