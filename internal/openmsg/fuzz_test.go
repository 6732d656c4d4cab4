package openmsg

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseTextFrame holds the parser to its promises on any input: no
// panic, an error or a frame whose JSON form is valid JSON with the six
// figures and one object per position, and violations only at pointers
// that form has. Seeds: testdata/fuzz/FuzzParseTextFrame.
func FuzzParseTextFrame(f *testing.F) {
	f.Add([]byte("f(12.50,100.00,900.00,9.00,1012.50,1000.00);(9001,7.50);"))
	f.Add([]byte("g(1,2,3,4,5,6);"))
	f.Fuzz(func(t *testing.T, b []byte) {
		af, err := ParseTextFrame(b)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		var obj struct {
			Frame string `json:"frame"`
			Data  struct {
				Positions []json.RawMessage `json:"positions"`
			} `json:"data"`
		}
		if err := json.Unmarshal(af.JSON(), &obj); err != nil {
			t.Fatalf("JSON() of %q is not JSON: %v", b, err)
		}
		if obj.Frame != af.Frame || len(obj.Data.Positions) != len(af.Positions) {
			t.Fatalf("JSON() of %q lost data", b)
		}
		for _, v := range af.Violations() {
			if !strings.HasPrefix(v.Pointer, "/data/") {
				t.Fatalf("violation without pointer: %+v", v)
			}
		}
	})
}
