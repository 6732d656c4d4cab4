package schemas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/schemas/openapi"
)

// Ensure every websocket family under websocket/ loads with its frame
// schema, every quote frame kind has a schema, and the compiled checker
// covers them all (no gojsonschema fallback).
func TestWebsocketFamilies(t *testing.T) {
	set := mustLoad(t)
	if !set.IsWebsocket("quote") || set.IsWebsocket("client") {
		t.Fatal("quote is not a websocket family, or client is")
	}
	kinds := map[string]bool{}
	for _, c := range quote.Commands {
		kinds[c.Name] = true
	}
	for _, k := range []quote.PushKind{quote.PushTick, quote.PushTrade, quote.PushDepth, quote.PushRolling} {
		kinds[k.SchemaKind()] = true
	}
	for kind := range kinds {
		if _, ok := set.DataSchema("quote", kind); !ok {
			t.Errorf("quote frame kind %s has no schema", kind)
		}
	}
	if n := len(set.Operations("quote")); n != len(kinds) {
		t.Errorf("quote catalog has %d kinds, want %d", n, len(kinds))
	}
	fb, err := set.Fallbacks()
	if err != nil {
		t.Fatal(err)
	}
	for file, why := range fb {
		if strings.HasPrefix(file, schemas.WebsocketDir+"/") {
			t.Errorf("%s falls back to gojsonschema: %s", file, why)
		}
	}
}

// Ensure quote frames are validated with pointers from the frame's root:
// the frame schema for the header, the kind's schema for data.
func TestValidateQuoteFrames(t *testing.T) {
	set := mustLoad(t)
	vs, err := set.ValidateFrame("quote", []byte(`{"right":200,"msg":"ok","cmd_id":14001,"seq_id":1,"ext":"","data":{}}`))
	if err != nil || len(vs) != 1 || vs[0].Pointer != "/ret" || vs[0].Keyword != "required" {
		t.Fatalf("a frame without ret: %+v %v", vs, err)
	}
	vs, err = set.ValidateFrame("quote", []byte(`<html>`))
	if err != nil || len(vs) != 1 || vs[0].Pointer != "" {
		t.Fatalf("a frame that is not JSON: %+v %v", vs, err)
	}
	vs, err = set.ValidateData("quote", "subscribe_tick", []byte(`{"tick_list":[{"symbol_id":1,"trade_type":5,"trade_mode":1,"seq":1,"tick_time":1700000000,"price_digits":2,"price":1.25}]}`))
	if err != nil || len(vs) != 1 || vs[0].Pointer != "/data/tick_list/0/price" || vs[0].Keyword != "type" {
		t.Fatalf("a price as a number: %+v %v", vs, err)
	}
	pushes, err := quote.ParsePushes([]byte("p(1001,5,1,7,1700000000,1.2345,1.2344,1.2346,10,12);"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(pushes[0].AppendJSON(nil), &doc); err != nil {
		t.Fatal(err)
	}
	if vs, err := set.ValidateData("quote", quote.PushTick.SchemaKind(), doc.Data); err != nil || len(vs) != 0 {
		t.Fatalf("a documented tick push: %+v %v", vs, err)
	}
}

// Ensure every overlay rule of a websocket family is what its schema says:
// the schemas are written by hand from the vendor's notes, and an overlay
// records (with its reason) where they depart from the notes' prose.
func TestWebsocketOverlaysHold(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(schemas.WebsocketDir, "*", "overlays", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no websocket overlays: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := openapi.ParseOverlay(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		schemaFile := filepath.Join(filepath.Dir(filepath.Dir(f)), strings.TrimSuffix(filepath.Base(f), ".yaml")+".json")
		raw, err := os.ReadFile(schemaFile)
		if err != nil {
			t.Fatalf("%s corrects no schema: %v", f, err)
		}
		var root any
		if err := json.Unmarshal(raw, &root); err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			if r.Merge == nil {
				t.Errorf("%s %q: websocket overlays merge keywords (there is no imported spec to set a fragment of)", f, r.Pointer)
				continue
			}
			node := root
			for _, tok := range strings.Split(r.Pointer, "/")[1:] {
				m, _ := node.(map[string]any)
				node = m[tok]
			}
			m, ok := node.(map[string]any)
			if !ok {
				t.Errorf("%s: pointer %q names nothing in %s", f, r.Pointer, schemaFile)
				continue
			}
			for k, want := range r.Merge {
				got, _ := json.Marshal(m[k])
				exp, _ := json.Marshal(want)
				var g, e any
				_ = json.Unmarshal(got, &g)
				_ = json.Unmarshal(exp, &e)
				if !reflect.DeepEqual(g, e) {
					t.Errorf("%s %s/%s: schema has %s, overlay says %s", f, r.Pointer, k, got, exp)
				}
			}
		}
	}
}

// Ensure the loader is generic over websocket/<family>/: a socket without
// a frame.json loads as a websocket family whose kinds validate, and a
// family name already taken is refused.
func TestWebsocketFamilyWithoutFrame(t *testing.T) {
	env, err := os.ReadFile(schemas.EnvelopeFile)
	if err != nil {
		t.Fatal(err)
	}
	cat := []byte(`[{"family":"openmsg","bizType":"notice","version":"","path":"","login":true,"area":"openmsg","readOnly":true,"tags":[],"request":{}}]`)
	fsys := fstest.MapFS{
		schemas.EnvelopeFile:             {Data: env},
		"websocket/openmsg/catalog.json": {Data: cat},
		"websocket/openmsg/notice.json":  {Data: []byte(`{"type":"object","properties":{"updateType":{"type":"integer"}}}`)},
	}
	set, err := schemas.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !set.IsWebsocket("openmsg") || set.HasFrameSchema("openmsg") {
		t.Fatal("openmsg: want a websocket family without a frame schema")
	}
	if vs, err := set.ValidateData("openmsg", "notice", []byte(`{"updateType":"1"}`)); err != nil || len(vs) != 1 {
		t.Fatalf("validate: %v %v", vs, err)
	}
	fsys["client/catalog.json"] = &fstest.MapFile{Data: []byte(`[]`)}
	fsys["websocket/client/catalog.json"] = &fstest.MapFile{Data: []byte(`[]`)}
	if _, err := schemas.LoadFS(fsys); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a websocket family named like an HTTP one: %v", err)
	}
}
