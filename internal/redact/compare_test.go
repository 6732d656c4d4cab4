package redact_test

import (
	"testing"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator/sample"
)

// BenchmarkJSONVsDecode measures Redactor.JSON, in the steady state of a run
// (the body's values already learned), on the simulator's real
// findCustomerInfo and 10,000-item getSymbolBaseList bodies against a bare
// encoding/json decode of the same bytes, in one run (x-bare-time). It is an
// external test because the simulator itself redacts.
func BenchmarkJSONVsDecode(b *testing.B) {
	for _, s := range sample.Bodies(b) {
		b.Run(s.Name, func(b *testing.B) {
			r := redact.New(redact.DefaultConfig())
			r.JSON(s.Body)
			sample.Compare(b, s.Body, "JSON", func() error {
				r.JSON(s.Body)
				return nil
			})
		})
	}
}
