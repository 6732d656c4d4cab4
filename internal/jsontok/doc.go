// Package jsontok is the project's one JSON tokenizer and its one JSON
// string encoder.
//
// Every consumer of a vendor body (envelope decoding, shape inference,
// redaction, schema validation) used to carry its own scanner. They now pull
// tokens from a Tokenizer, so what counts as JSON, and what a broken body is
// told, is decided in one place.
//
// The Tokenizer is strict by default: the grammar of RFC 8259, valid UTF-8,
// no duplicate object keys (compared after unescaping, at any depth), integers
// within int64 and numbers within float64, and at most DefaultMaxDepth open
// containers. Options relax each rule for consumers that must accept what
// encoding/json accepts. It is iterative (nesting costs no Go stack), runs in
// time linear in the input, never panics, and allocates nothing per token:
// tokens are values holding sub-slices of the input, and unescaped keys live
// in a buffer the Tokenizer reuses.
//
// encoding/json/jsontext would be the standard choice, but in Go 1.26 it
// exists only under GOEXPERIMENT=jsonv2, which the build does not set.
package jsontok
