package drift

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Ensure a shape survives encoding/json both ways, as it travels inside a
// contract.Observation report entry.
func TestShapeJSONRoundTrip(t *testing.T) {
	s := shapeOf(t, `{"code":"0","ok":true,"data":{"status":1,"list":[{"a":null},{"a":1.5}]}}`, `{"code":"0","ok":true,"data":{"status":2,"list":[]}}`)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Shape
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, s)
	}
}

// Ensure Merge copies rather than aliases, works on the zero Shape, and
// drops a value set that outgrows MaxEnumValues for good.
func TestMerge(t *testing.T) {
	src := shapeOf(t, `{"status":1}`)
	var dst Shape
	dst.Merge(src)
	dst.Merge(shapeOf(t, `{"status":2}`))
	if got := src.Fields["/status"].Values; !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("Merge modified its argument: %v", got)
	}
	if got := dst.Fields["/status"]; got.Seen != 2 || !reflect.DeepEqual(got.Values, []string{"1", "2"}) || dst.Samples != 2 {
		t.Errorf("merged: %+v samples %d", got, dst.Samples)
	}
	for i := 3; i <= MaxEnumValues+1; i++ {
		dst.Merge(shapeOf(t, `{"status":`+strconv.Itoa(i)+`}`))
	}
	if f := dst.Fields["/status"]; !f.ValuesDropped || f.Values != nil {
		t.Fatalf("after %d values: %+v", MaxEnumValues+1, f)
	}
	dst.Merge(shapeOf(t, `{"status":1}`))
	if f := dst.Fields["/status"]; !f.ValuesDropped || f.Values != nil {
		t.Errorf("a dropped value set came back: %+v", f)
	}
	if err := dst.Validate(); err != nil {
		t.Error(err)
	}
}

// Ensure the file form writes every type set as its names, in canonical
// order ("[]" for none), as encoding/json writes the list with the file's
// spacing.
func TestTypesJSON(t *testing.T) {
	for set := TypeSet(0); set < TypeSet(Null)<<1; set++ {
		names := set.Names()
		if names == nil {
			names = []string{}
		}
		b, err := json.Marshal(names)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(string(b), `","`, `", "`)
		if got := typesJSON(set); got != want {
			t.Fatalf("%s: %s, want %s", set, got, want)
		}
	}
}
