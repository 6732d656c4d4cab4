package openmsg

import (
	"encoding/json"
	"strings"
	"testing"
)

// Ensure the documented text frames parse into the object their schema
// describes, and every way out of the syntax is an error naming the byte.
func TestParseTextFrame(t *testing.T) {
	af, err := ParseTextFrame([]byte("f(12.50,100.00,900.00,9.00,1012.50,1000.00);(9001,7.50);(9002,-5);"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Frame string         `json:"frame"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(af.JSON(), &got); err != nil {
		t.Fatalf("JSON() is not JSON: %v\n%s", err, af.JSON())
	}
	if got.Frame != "f" || got.Data["tradeType"] != 1.0 || got.Data["balance"] != "1000.00" || len(got.Data["positions"].([]any)) != 2 {
		t.Errorf("parsed %+v", got)
	}
	if vs := af.Violations(); len(vs) != 0 {
		t.Errorf("violations %v", vs)
	}
	g, err := ParseTextFrame([]byte("g(1,2,3,4,5,6);"))
	if err != nil || g.Frame != FrameG || TradeTypeOfFrame(g.Frame) != 2 || len(g.Positions) != 0 {
		t.Errorf("g frame: %+v, %v", g, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", `want "f(" or "g("`},
		{"p(1,2,3,4,5,6);", `want "f(" or "g("`},
		{"f(1,2,3,4,5);", "group has 5 fields, want 6"},
		{"f(1,2,3,4,5,6,7);", "more than 6 fields"},
		{"f(1,2,3,4,5,6)", `want ";" after ")"`},
		{"f(1,2,3,4,5,6);(1,2", "frame ends inside a group"},
		{"f(1,2,3,4,5,6);(1;2);", `unexpected ';' inside a group`},
		{"f(1,2,3,4,5,6);x", `want "("`},
		{"f(1,2,3,4,5,6);(1,2,3);", "more than 2 fields"},
	} {
		_, err := ParseTextFrame([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "at byte") {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// Ensure values that are not the documented decimals are violations at the
// pointer of the parsed object.
func TestTextFrameViolations(t *testing.T) {
	af, err := ParseTextFrame([]byte("f(1.5,abc,3,,5,6);(x9,1);(7,1e5);"))
	if err != nil {
		t.Fatal(err)
	}
	var ptrs []string
	for _, v := range af.Violations() {
		ptrs = append(ptrs, v.Pointer)
		if v.Keyword != KeywordDecimal || v.Message == "" {
			t.Errorf("violation %+v", v)
		}
	}
	want := "/data/occupyMargin /data/marginRadio /data/positions/0/positionId /data/positions/1/profitLoss"
	if strings.Join(ptrs, " ") != want {
		t.Errorf("pointers %q, want %q", ptrs, want)
	}
}

func TestValidTradeTypes(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "1,2": true, "5,6": true, "": false, "3": false, "1,1": false, "1,": false} {
		if ValidTradeTypes(s) != want {
			t.Errorf("ValidTradeTypes(%q) = %v", s, !want)
		}
	}
}
