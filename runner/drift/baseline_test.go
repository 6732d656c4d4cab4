package drift

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// goldenBodies are the responses the golden baseline is accepted from: two
// runs of getSymbolBaseList-like data and one findCustomerInfo-like response.
var goldenBodies = map[string][]string{
	"client/config.app.AppSymbolDubboService.getSymbolBaseList": {
		`{"bizCode":"","code":"0","msg":"Success","tm":1,"trace":"t-1","msgParams":null,"ok":true,"fail":false,"data":[` +
			`{"symbolId":1,"symbolCode":"BTCUSDT","tradeType":1,"etf":false,"askSpread":"0.1","tradeTimeList":[{"dayOfWeek":1,"startTime":0,"endTime":86400}]},` +
			`{"symbolId":2,"symbolCode":"ETH/USDT","tradeType":2,"etf":true,"askSpread":null,"tradeTimeList":[]}]}`,
		`{"bizCode":"","code":"0","msg":"Success","tm":2,"trace":"t-2","msgParams":null,"ok":true,"fail":false,"data":[` +
			`{"symbolId":3,"symbolCode":"<XAU>","tradeType":1,"etf":false,"askSpread":"2","tradeTimeList":[{"dayOfWeek":7,"startTime":0,"endTime":3600.5}]}]}`,
	},
	"client/customer.app.CustomerWebApiService.findCustomerInfo": {
		`{"bizCode":"","code":"0","msg":"Success","tm":3,"trace":"t-3","msgParams":null,"ok":true,"fail":false,"data":` +
			`{"id":7,"email":"a@b.example","kycStatus":4,"status":1,"type":0,"accountList":[{"accountId":9,"currency":"USDT","balance":10.5}]}}`,
	},
}

func acceptGolden(t *testing.T, dir string) []string {
	t.Helper()
	observed := map[string]Shape{}
	for k, bodies := range goldenBodies {
		observed[k] = shapeOf(t, bodies...)
	}
	changed, err := AcceptInto(dir, observed)
	if err != nil {
		t.Fatalf("AcceptInto: %v", err)
	}
	return changed
}

// Ensure accepted baselines have stable, reviewable bytes (golden files,
// refreshed with -update) that round-trip through ReadBaseline unchanged.
func TestBaselineGolden(t *testing.T) {
	dir := t.TempDir()
	changed := acceptGolden(t, dir)
	want := []string{
		filepath.Join(dir, "client", "config.app.AppSymbolDubboService.getSymbolBaseList.json"),
		filepath.Join(dir, "client", "customer.app.CustomerWebApiService.findCustomerInfo.json"),
	}
	if !reflect.DeepEqual(changed, want) {
		t.Fatalf("changed files %v, want %v", changed, want)
	}
	for _, path := range changed {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", "client", filepath.Base(path))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		wantBytes, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, wantBytes) {
			t.Errorf("%s differs from %s:\n%s", path, golden, got)
		}
		if !bytes.HasSuffix(got, []byte("}\n")) {
			t.Errorf("%s: no trailing newline", path)
		}
		if bytes.Contains(got, []byte("a@b.example")) || bytes.Contains(got, []byte("BTCUSDT")) {
			t.Errorf("%s carries response values that are not enum codes", path)
		}

		// Round trip: read it back and format it again, byte for byte.
		biz := strings.TrimSuffix(filepath.Base(path), ".json")
		s, found, err := ReadBaseline(dir, "client", biz)
		if err != nil || !found {
			t.Fatalf("ReadBaseline: found=%v err=%v", found, err)
		}
		if again := Format(s); !bytes.Equal(again, got) {
			t.Errorf("re-formatted baseline differs:\n%s\nvs\n%s", again, got)
		}
	}
}

// Ensure accepting again merges samples into existing files, and that
// presence learned over runs survives the file round trip.
func TestAcceptIntoMerges(t *testing.T) {
	dir := t.TempDir()
	acceptGolden(t, dir)
	key := "client/customer.app.CustomerWebApiService.findCustomerInfo"
	second := shapeOf(t, `{"code":"0","ok":true,"data":{"id":8,"kycStatus":2,"status":1,"type":0,"accountList":[]}}`)
	changed, err := AcceptInto(dir, map[string]Shape{key: second})
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 {
		t.Fatalf("changed %v, want one file", changed)
	}
	s, _, err := ReadBaseline(dir, "client", "customer.app.CustomerWebApiService.findCustomerInfo")
	if err != nil {
		t.Fatal(err)
	}
	if s.Samples != 2 {
		t.Errorf("samples %d, want 2", s.Samples)
	}
	if got := s.Fields["/data/kycStatus"].Values; !reflect.DeepEqual(got, []string{"2", "4"}) {
		t.Errorf("kycStatus values %v", got)
	}
	if p := s.Presence("/data/email"); p != "sometimes" {
		t.Errorf("/data/email presence %s, want sometimes", p)
	}
	if p := s.Presence("/data/accountList/*/balance"); p != "always" {
		t.Errorf("balance presence %s, want always (the empty list gave it no chance)", p)
	}
	if p := s.Presence("/msg"); p != "sometimes" {
		t.Errorf("/msg presence %s, want sometimes", p)
	}
	// Nothing observed: nothing written.
	if changed, err := AcceptInto(dir, map[string]Shape{key: {}}); err != nil || len(changed) != 0 {
		t.Errorf("empty observation: changed %v, err %v", changed, err)
	}
}

// Ensure a missing baseline is reported as not found rather than an error,
// and that ReadAll finds every accepted file.
func TestReadBaselineMissingAndReadAll(t *testing.T) {
	dir := t.TempDir()
	if _, found, err := ReadBaseline(dir, "client", "x.y"); found || err != nil {
		t.Errorf("missing: found=%v err=%v", found, err)
	}
	all, err := ReadAll(filepath.Join(dir, "nope"))
	if err != nil || len(all) != 0 {
		t.Errorf("ReadAll of a missing dir: %v %v", all, err)
	}
	acceptGolden(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "client", "README.md"), []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	all, err = ReadAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range all {
		keys = append(keys, k)
	}
	if len(keys) != len(goldenBodies) {
		t.Errorf("ReadAll keys %v", keys)
	}
	for k := range goldenBodies {
		if all[k].Samples != len(goldenBodies[k]) {
			t.Errorf("%s: samples %d", k, all[k].Samples)
		}
	}
}

// Ensure operation keys cannot escape the baseline directory.
func TestAcceptIntoRejectsUnsafeKeys(t *testing.T) {
	for _, key := range []string{"nofamily", "client/../x", "../client/x", "client/.hidden", "client/a/b", "/x", "client/"} {
		dir := t.TempDir()
		if _, err := AcceptInto(dir, map[string]Shape{key: shapeOf(t, `{"a":1}`)}); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
}

// Ensure baseline writes are atomic: no temporary file survives, a failed
// write leaves the previous file intact, and nothing is written when any
// involved baseline is malformed.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "client", "op.json")
	s := shapeOf(t, `{"a":1}`)
	if err := WriteFile(path, s); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	// The target's directory is made read-only: the write must fail cleanly.
	if os.Geteuid() != 0 {
		if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, shapeOf(t, `{"b":1}`)); err == nil {
			t.Error("write into a read-only directory succeeded")
		}
		if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Errorf("failed write changed the file:\n%s", after)
		}
	}
	// A directory in the way of the target: rename fails, temp file removed.
	blocked := filepath.Join(dir, "client", "blocked.json")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, s); err == nil {
		t.Error("write over a directory succeeded")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "client"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	// An invalid shape is never written.
	if err := WriteFile(path, Shape{Samples: 1, Fields: map[string]Field{"/a": {Seen: 1}}}); err == nil {
		t.Error("invalid shape written")
	}

	// A malformed existing baseline aborts the whole accept before any write.
	bad := filepath.Join(dir, "client", "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := AcceptInto(dir, map[string]Shape{"client/bad": s, "client/op": s, "client/new": s})
	var be *BaselineError
	if !errors.As(err, &be) || be.Path != bad {
		t.Fatalf("AcceptInto with a malformed baseline: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a good baseline was rewritten although the accept failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "client", "new.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a new baseline was created although the accept failed: %v", err)
	}
}

// Ensure every malformed baseline fixture fails with a message that names the
// file and what is wrong.
func TestMalformedBaselines(t *testing.T) {
	want := map[string]string{
		"invalid-empty.json":                "empty file, want a JSON object",
		"invalid-missing-parent.json":       `field "/data/id": its parent "/data" is missing`,
		"invalid-no-types.json":             `field "/code": types is empty`,
		"invalid-objects.json":              `field "/data": objects is 1 but types is array: objects counts the occurrences that were objects`,
		"invalid-pointer.json":              `field "data": a pointer must start with "/"`,
		"invalid-seen-exceeds-parent.json":  `field "/data/id": seen is 3 but its parent "/data" was an object only 2 times`,
		"invalid-seen-exceeds-samples.json": `field "/code": seen is 5 but samples is only 3`,
		"invalid-syntax.json":               "invalid JSON at line 4, column 3: invalid character '}' looking for beginning of object key string",
		"invalid-unknown-key.json":          `unknown field "comment"`,
		"invalid-unknown-type.json":         `field "/code": unknown type "str" (want one of string, integer, number, boolean, object, array, null)`,
		"invalid-values.json":               `field "/status": values: "a@b.example" is not a short code (at most 32 of A-Z a-z 0-9 _ - . :)`,
		"invalid-version.json":              "version is 2, this mmcontract reads version 1",
		"invalid-wrong-type.json":           "fields.seen: want an integer, got JSON string near line 3, column 25",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "invalid-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			msg, ok := want[name]
			if !ok {
				t.Fatalf("fixture %s has no expected message in this table", name)
			}
			_, err := ReadFile(path)
			var be *BaselineError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BaselineError", err)
			}
			if got, want := err.Error(), "baseline "+path+": "+msg; got != want {
				t.Errorf("error\n got %s\nwant %s", got, want)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("%d fixtures but %d expected messages", len(files), len(want))
	}
}
