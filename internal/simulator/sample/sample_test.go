package sample

import (
	"encoding/json"
	"testing"
)

// Ensure both samples are real, successful envelopes of the expected size.
func TestSamples(t *testing.T) {
	fci, err := FindCustomerInfoBody()
	if err != nil {
		t.Fatal(err)
	}
	list, err := SymbolBaseListBody(10000)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(fci, &env); err != nil || len(env.Data) < 500 {
		t.Errorf("findCustomerInfo: %v, %d data bytes", err, len(env.Data))
	}
	var items struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(list, &items); err != nil || len(items.Data) != 10000 {
		t.Errorf("getSymbolBaseList: %v, %d items", err, len(items.Data))
	}
	t.Logf("findCustomerInfo %d bytes, getSymbolBaseList(10000) %d bytes", len(fci), len(list))
}
