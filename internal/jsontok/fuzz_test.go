package jsontok

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzTokenizer ensures the Tokenizer never panics, fails only with a
// one-line *Error, accepts under Lenient exactly what encoding/json's Valid
// accepts, accepts strictly only what Valid accepts, and unquotes every
// string as encoding/json does.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,{"b":null}],"c":"\u00e9"}`, `[1,]`, `{"a":1,"a":2}`, "\"\xff\"",
		`"\ud83d\ude00"`, `[1e400]`, `{"k":-0.5e-3}`, ` [ true , false ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, opts := range []Options{{}, Lenient} {
			tk := New(body, opts)
			var err error
			for {
				var tok Token
				tok, err = tk.Next()
				if err != nil {
					break
				}
				if tok.Kind == String || tok.Kind == Key {
					var want string
					if jerr := json.Unmarshal(tok.Raw, &want); jerr != nil {
						t.Fatalf("token %s: encoding/json says %v", tok.Raw, jerr)
					}
					if got := tk.Unquote(tok); string(got) != want {
						t.Fatalf("Unquote(%s) = %q, want %q", tok.Raw, got, want)
					}
					if got := tk.Key(); tok.Kind == Key && string(got) != want {
						t.Fatalf("Key() of %s = %q, want %q", tok.Raw, got, want)
					}
				}
			}
			valid := json.Valid(body)
			if err == io.EOF {
				if !valid {
					t.Fatalf("%+v accepted what json.Valid rejects", opts)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if msg := e.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") || len(msg) > 300 {
				t.Fatalf("message is not one short line: %q", msg)
			}
			if opts == Lenient && valid {
				t.Fatalf("Lenient rejected what json.Valid accepts: %v", err)
			}
		}
	})
}
