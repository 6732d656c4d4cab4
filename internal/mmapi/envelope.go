package mmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// MaxDepth is the deepest JSON nesting the client accepts. The vendor's
// deepest documented payload is a handful of levels; everything downstream
// (schema validation, redaction, shape inference) recurses, so a hostile or
// broken body is refused here rather than trusted to every consumer.
const MaxDepth = jsontok.DefaultMaxDepth

// quoteRetOK is the quote envelope's success return code.
const quoteRetOK = 200

// Envelope is the vendor's response wrapper, decoded with exact (case-
// sensitive) field names and strict types.
type Envelope struct {
	BizCode   string
	Code      string
	Msg       string
	Tm        int64
	Trace     string
	MsgParams *string
	// Data is the raw "data" member, a sub-slice of the body it was decoded
	// from (nil when absent). Treat it as read-only.
	Data json.RawMessage
	OK   bool
	Fail bool
	// Ret is the quote envelope's {ret, msg, trace, data} return code
	// (the Manager quote REST endpoints), 200 on success; without "code" the
	// envelope's Code is its decimal, so reports name it as they name codes.
	Ret int64

	hasOK, hasRet bool
}

// Success reports whether the envelope signals success: ok when present,
// otherwise code "0" (the rule the vendor's own H5 client uses). The
// ok/fail/code invariants themselves are the suites' business.
func (e *Envelope) Success() bool {
	if e.hasOK {
		return e.OK
	}
	if e.hasRet {
		return e.Ret == quoteRetOK
	}
	return e.Code == "0"
}

// DecodeEnvelope decodes body as a vendor envelope. Any failure is a
// *ContractError with a one-line reason: an empty body, invalid UTF-8,
// invalid JSON, duplicate keys at any depth, an integer beyond int64 or a
// number beyond float64 anywhere, nesting deeper than MaxDepth, a non-object
// top level, a wrong-typed envelope field, or none of "code", "ok" and "ret". The
// whole body is checked before any of the last three is reported, so a
// broken body is always called broken.
//
// It never panics and runs in time linear in len(body).
func DecodeEnvelope(body []byte) (*Envelope, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &ContractError{Reason: "empty body"}
	}
	t := tokenizers.Get().(*jsontok.Tokenizer)
	defer tokenizers.Put(t)
	t.Reset(body, jsontok.Options{MaxDepth: MaxDepth})
	env, err := decodeEnvelope(t, body)
	if err != nil {
		var te *jsontok.Error
		if errors.As(err, &te) {
			return nil, &ContractError{Reason: te.Error()}
		}
		return nil, err
	}
	return env, nil
}

// tokenizers keeps Tokenizers, whose buffers grow to the deepest body seen,
// for reuse across responses.
var tokenizers = sync.Pool{New: func() any { return new(jsontok.Tokenizer) }}

func decodeEnvelope(t *jsontok.Tokenizer, body []byte) (*Envelope, error) {
	first, err := t.Next()
	if err != nil {
		return nil, err
	}
	if first.Kind != jsontok.BeginObject {
		if _, err := t.Skip(first); err != nil {
			return nil, err
		}
		if err := end(t); err != nil {
			return nil, err
		}
		return nil, &ContractError{Reason: fmt.Sprintf("not an envelope: top level is a JSON %s, not an object", first.Kind)}
	}
	env := &Envelope{}
	var hasCode bool
	var fieldErr error // the first wrong-typed field, reported once the whole body is known to be JSON
	for {
		tok, err := t.Next()
		if err != nil {
			return nil, err
		}
		if tok.Kind == jsontok.EndObject {
			break
		}
		key := t.Key()
		v, err := t.Next()
		if err != nil {
			return nil, err
		}
		stop, err := t.Skip(v)
		if err != nil {
			return nil, err
		}
		if fieldErr != nil {
			continue
		}
		raw := body[v.Start:stop]
		var ferr error
		switch string(key) {
		case "bizCode":
			env.BizCode, ferr = fieldString(v)
		case "code":
			hasCode = true
			env.Code, ferr = fieldString(v)
		case "msg":
			env.Msg, ferr = fieldString(v)
		case "trace":
			env.Trace, ferr = fieldString(v)
		case "msgParams":
			if v.Kind != jsontok.Null {
				var s string
				if s, ferr = fieldString(v); ferr == nil {
					env.MsgParams = &s
				}
			}
		case "tm":
			env.Tm, ferr = fieldInt64(v)
		case "ok":
			env.hasOK = true
			env.OK, ferr = fieldBool(v)
		case "fail":
			env.Fail, ferr = fieldBool(v)
		case "ret":
			env.hasRet = true
			env.Ret, ferr = fieldInt64(v)
		case "data":
			env.Data = json.RawMessage(raw)
		}
		if ferr != nil {
			fieldErr = &ContractError{Reason: fmt.Sprintf("envelope field %q: %v", key, ferr)}
		}
	}
	if err := end(t); err != nil {
		return nil, err
	}
	if fieldErr != nil {
		return nil, fieldErr
	}
	if !hasCode && !env.hasOK {
		if !env.hasRet {
			return nil, &ContractError{Reason: `not an envelope: none of "code", "ok" or "ret" is present`}
		}
		env.Code = strconv.FormatInt(env.Ret, 10)
	} else {
		env.hasRet = false // a standard envelope: its code and ok decide
	}
	return env, nil
}

// end checks that nothing but whitespace follows the top-level value.
func end(t *jsontok.Tokenizer) error {
	if _, err := t.Next(); err != io.EOF {
		return err
	}
	return nil
}

// fieldString accepts a string or null (the vendor is a Java backend and
// nulls unset strings; the envelope schema decides whether that is allowed).
func fieldString(v jsontok.Token) (string, error) {
	switch v.Kind {
	case jsontok.Null:
		return "", nil
	case jsontok.String:
		if !v.Escaped {
			return string(v.Raw[1 : len(v.Raw)-1]), nil
		}
		return string(jsontok.AppendUnquoted(nil, v.Raw)), nil
	}
	return "", fmt.Errorf("is a %s, want string", v.Kind)
}

func fieldInt64(v jsontok.Token) (int64, error) {
	switch v.Kind {
	case jsontok.Null:
		return 0, nil
	case jsontok.Number:
	default:
		return 0, fmt.Errorf("is a %s, want integer", v.Kind)
	}
	n, err := strconv.ParseInt(string(v.Raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an int64 integer", clip(v.Raw))
	}
	return n, nil
}

func fieldBool(v jsontok.Token) (bool, error) {
	switch v.Kind {
	case jsontok.Bool:
		return v.Raw[0] == 't', nil
	case jsontok.Null:
		return false, nil
	}
	return false, fmt.Errorf("is a %s, want boolean", v.Kind)
}

func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
