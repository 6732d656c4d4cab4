// Package openapi imports a vendor OpenAPI 3 document into mmcontract's
// schema tree: one structure-only JSON Schema per operation for the envelope's
// "data", one per operation for the request body, the envelope schemas (the
// standard, the quote service's and the code-only one), and the family's
// operation catalog. It is the engine behind `mmcontract spec import`.
//
// The output is a pure function of the spec bytes and the overlay files:
// keys sorted, 2-space indent, trailing newline, so re-importing an unchanged
// spec changes no byte and a changed spec shows up as a readable git diff.
//
// Policy, applied to every response schema (see README "Schemas"):
//   - $refs are inlined; a recursive reference becomes a property-less object.
//   - Every field is nullable (the vendor is a Java backend that serialises
//     unset fields as null, and its own examples do) except fields that are
//     known never to be null: "id", and what the overlays declare.
//   - The spec's response "required" lists are not imported: the vendor's own
//     examples omit fields it marks required. What we require is stated by
//     overlays, each with a reason.
//   - Objects accept undocumented properties: drift detection reports them
//     separately, they are not a contract violation. An overlay may close one.
//   - POST and GET operations are imported, one per path: every gateway
//     operation is a POST; the GETs are the Manager quote REST endpoints,
//     whose reply is the quote envelope {ret, msg, trace, data}, and
//     /geoip/country. HEAD / only documents the root callback's probe.
//   - The envelope a response uses is read from its schema: a "ret" member
//     is the quote envelope; a documented object with neither "data" nor the
//     envelope's "code" is a bare data object (the market-maker reports),
//     whose whole schema is the data schema.
package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/schemas"
)

// InvalidSpecError reports a document that is not a usable OpenAPI 3
// document: an HTML error page, a JSON error object, a truncated file, or a
// document without paths. `spec diff` reports it as new_spec_valid=false
// rather than as "every operation removed".
type InvalidSpecError struct{ Reason string }

func (e *InvalidSpecError) Error() string { return "invalid OpenAPI document: " + e.Reason }

// Spec is a parsed OpenAPI document, reusable for several imports.
type Spec struct {
	doc        map[string]any
	components map[string]any
}

// Parse decodes and checks an OpenAPI 3 document (YAML or JSON).
func Parse(spec []byte) (*Spec, error) {
	doc, err := Decode(spec)
	if err != nil {
		return nil, err
	}
	s := &Spec{doc: doc, components: map[string]any{}}
	if comps, ok := doc["components"].(map[string]any); ok {
		if sc, ok := comps["schemas"].(map[string]any); ok {
			s.components = sc
		}
	}
	return s, nil
}

// maxTitle bounds the HTML page title quoted in a reason.
const maxTitle = 120

// Decode parses an OpenAPI 3 document (YAML or JSON) into plain maps and
// applies the document-level checks: not empty, not an HTML page, an object,
// "openapi: 3.x", and at least one path. Every error is an *InvalidSpecError
// whose Reason says what the bytes are instead (an HTML error page with its
// title, a gateway error object, a truncated file). It is the one decoder for
// the importer and for specdiff.
func Decode(raw []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, invalidf("empty document")
	}
	if trimmed[0] == '<' {
		return nil, invalidf("an HTML or XML page, not OpenAPI%s", htmlTitle(trimmed))
	}
	var v any
	var err error
	if trimmed[0] == '{' {
		// JSON decodes several times faster than YAML; fall back to YAML for
		// flow-style YAML that is not strict JSON.
		if jerr := json.Unmarshal(trimmed, &v); jerr != nil {
			v = nil
			if err = yaml.Unmarshal(raw, &v); err != nil {
				return nil, invalidf("not JSON: %s", jerr.Error())
			}
		}
	} else if err = yaml.Unmarshal(raw, &v); err != nil {
		return nil, invalidf("not YAML or JSON: %s", oneline.First(err.Error(), oneline.MaxMessage))
	}
	doc, ok := normalize(v, 0).(map[string]any)
	if !ok {
		return nil, invalidf("top level is %s, not an object", KindOf(v))
	}
	ver, _ := doc["openapi"].(string)
	if !strings.HasPrefix(ver, "3.") {
		reason := fmt.Sprintf("missing or unsupported \"openapi\" version %q", ver)
		if hint := errorObjectHint(doc); hint != "" {
			reason += "; " + hint
		}
		return nil, invalidf("%s", reason)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		return nil, invalidf("no paths")
	}
	return doc, nil
}

func invalidf(format string, a ...any) error {
	return &InvalidSpecError{Reason: fmt.Sprintf(format, a...)}
}

var titleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })

func htmlTitle(b []byte) string {
	m := titleRE().FindSubmatch(b)
	if m == nil {
		return ""
	}
	t := strings.Join(strings.Fields(string(m[1])), " ")
	if len(t) > maxTitle {
		t = t[:maxTitle]
	}
	return fmt.Sprintf(" (title %q)", t)
}

// errorObjectHint recognises a gateway or API error object published in
// place of the spec, e.g. {"success":false,"errorCode":"403012",...}.
func errorObjectHint(doc map[string]any) string {
	var parts []string
	for _, k := range []string{"success", "errorCode", "code", "status", "error"} {
		switch v := doc[k].(type) {
		case string, bool, float64, int:
			s := fmt.Sprint(v)
			if len(s) > 40 {
				s = s[:40]
			}
			parts = append(parts, fmt.Sprintf("%s=%s", k, s))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "looks like an error response (" + strings.Join(parts, ", ") + ")"
}

// Op is one imported operation: its catalog entry, its converted data and
// request schemas, and the raw examples the vendor published for it (used by
// tests and by the simulator's example-first responses).
type Op struct {
	Operation schemas.Operation
	Method    string // HTTP method, upper case
	URLPath   string // the spec's path key
	Data      map[string]any
	// RequestBody is the schema of the request body, with the spec's
	// required lists and size bounds (see converter.request).
	RequestBody map[string]any
	Examples    []json.RawMessage // whole response bodies, as published
}

// pathOwner names the family that owns a path the vendor publishes in more
// than one file. The Webhook API is implemented by our user and called by
// the vendor, the opposite direction from the Client API, yet its three
// paths are also in the Client EN file: they belong to the webhook family
// alone, so the client import skips them and each is counted once.
var pathOwner = map[string]string{
	"/get-user-amount":                                "webhook",
	"/external-system-credit-limit-adjustment":        "webhook",
	"/cancel-external-system-credit-limit-adjustment": "webhook",
}

// PathOwner returns the family that owns a path published in several
// vendor files, or "" for a path that belongs to the file it is in.
func PathOwner(path string) string { return pathOwner[path] }

// Supplement is a further vendor file of a family (see Import).
type Supplement struct {
	Name string // the file's name, for the operations' Note
	Spec []byte
}

// supplement adds to ops the operations of each supplement at a path that
// neither ops nor an earlier supplement has, sorted by bizType.
func supplement(ops []Op, family string, sups []Supplement) ([]Op, error) {
	if len(sups) == 0 {
		return ops, nil
	}
	havePath := map[string]bool{}
	haveBiz := map[string]bool{}
	for _, op := range ops {
		havePath[op.URLPath] = true
		haveBiz[op.Operation.BizType] = true
	}
	for _, sup := range sups {
		s, err := Parse(sup.Spec)
		if err != nil {
			return nil, fmt.Errorf("supplement %s: %w", sup.Name, err)
		}
		more, err := s.Operations(family)
		if err != nil {
			return nil, fmt.Errorf("supplement %s: %w", sup.Name, err)
		}
		for _, op := range more {
			if havePath[op.URLPath] {
				continue
			}
			if haveBiz[op.Operation.BizType] {
				return nil, fmt.Errorf("supplement %s: %s %s: bizType %s is already defined at another path", sup.Name, op.Method, op.URLPath, op.Operation.BizType)
			}
			havePath[op.URLPath], haveBiz[op.Operation.BizType] = true, true
			op.Operation.Note = "only in " + sup.Name + ": the canonical spec of the family does not publish " + op.Method + " " + op.URLPath
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Operation.BizType < ops[j].Operation.BizType })
	return ops, nil
}

// Operations converts every POST and GET operation of the spec for family (a
// path another family owns excepted), sorted by
// bizType. Overlays are not applied here; Import applies them.
func (s *Spec) Operations(family string) ([]Op, error) {
	paths := s.doc["paths"].(map[string]any)
	keys := sortedKeys(paths)
	var ops []Op
	seen := map[string]string{}
	for _, p := range keys {
		item, _ := paths[p].(map[string]any)
		method := "POST"
		raw, ok := item["post"].(map[string]any)
		if !ok {
			method = "GET"
			if raw, ok = item["get"].(map[string]any); !ok {
				continue
			}
		}
		if owner := pathOwner[p]; owner != "" && owner != family {
			continue
		}
		op, err := s.operation(family, p, method, raw)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, p, err)
		}
		if prev, dup := seen[op.Operation.BizType]; dup {
			return nil, fmt.Errorf("%s %s: bizType %s already defined by %s", method, p, op.Operation.BizType, prev)
		}
		seen[op.Operation.BizType] = p
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Operation.BizType < ops[j].Operation.BizType })
	return ops, nil
}

func (s *Spec) operation(family, path, method string, raw map[string]any) (Op, error) {
	pathKind, bizType := splitPath(path)
	if bizType == "" {
		return Op{}, errors.New("cannot derive a bizType from the path")
	}
	desc, _ := raw["description"].(string)
	op := schemas.Operation{
		Family:  family,
		BizType: bizType,
		Version: version(desc, raw),
		Path:    pathKind,
		Tags:    stringList(raw["tags"]),
	}
	if op.Tags == nil {
		op.Tags = []string{}
	}
	if strings.HasPrefix(bizType, "tradeapi.") {
		op.Group = "tradeApi"
	}
	op.Login = needsLogin(family, pathKind, desc, raw)
	op.Area = area(op.Tags, bizType)
	// A GET is safe by HTTP's definition, and the vendor's GETs are reads.
	op.ReadOnly = method == "GET" || ReadOnly(op.Method())
	if method != "POST" {
		op.HTTPMethod = method
	}

	conv := &converter{components: s.components, budget: nodeBudget}
	data, envelope, examples := s.response(conv, raw)
	if conv.exceeded {
		return Op{}, errors.New("response schema too large (recursive $ref fan-out?)")
	}
	if envelope == "" && examplesLackOKFail(examples) {
		envelope = schemas.EnvelopeCodeOnly
	}
	op.Envelope = envelope
	reqSchema := s.requestSchema(raw)
	if reqSchema == nil {
		return Op{}, errors.New("request schema too large (recursive $ref fan-out?)")
	}
	op.Request = requestBody(reqSchema)
	return Op{Operation: op, Method: method, URLPath: path, Data: data, RequestBody: reqSchema, Examples: examples}, nil
}

// response returns the data schema, the envelope kind (see
// schemas.Operation.Envelope) and the published examples of the 200
// response.
func (s *Spec) response(conv *converter, raw map[string]any) (map[string]any, string, []json.RawMessage) {
	resps, _ := raw["responses"].(map[string]any)
	resp, _ := resps["200"].(map[string]any)
	if resp == nil {
		resp, _ = resps["default"].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		for _, k := range sortedKeys(content) {
			if m, ok := content[k].(map[string]any); ok {
				media = m
				break
			}
		}
	}
	var examples []json.RawMessage
	addExample := func(v any) {
		if str, ok := v.(string); ok {
			if !json.Valid([]byte(str)) {
				return
			}
			examples = append(examples, json.RawMessage(str))
			return
		}
		if b, err := json.Marshal(v); err == nil && v != nil {
			examples = append(examples, b)
		}
	}
	if ex, ok := media["example"]; ok {
		addExample(ex)
	}
	if exs, ok := media["examples"].(map[string]any); ok {
		for _, k := range sortedKeys(exs) {
			if e, ok := exs[k].(map[string]any); ok {
				addExample(e["value"])
			}
		}
	}
	body := s.resolve(media["schema"], 0)
	props, _ := body["properties"].(map[string]any)
	envelope := ""
	if _, ok := props["ret"]; ok {
		envelope = schemas.EnvelopeQuote
	}
	if dataNode, ok := props["data"]; ok {
		return conv.convert(dataNode, true, 0), envelope, examples
	}
	if _, hasCode := props["code"]; !hasCode && envelope == "" && len(props) > 0 && !examplesHaveEnvelope(examples) {
		// Documented as the data object itself, without an envelope. (Where
		// the examples wrap it in one, the documented object is a slip of
		// the spec, and an overlay derives the data from the examples.)
		return conv.convert(body, true, 0), schemas.EnvelopeBare, examples
	}
	return map[string]any{}, envelope, examples
}

// examplesLackOKFail reports whether the operation publishes envelope
// examples and none of them carries ok or fail.
func examplesLackOKFail(examples []json.RawMessage) bool {
	seen := false
	for _, ex := range examples {
		var top map[string]json.RawMessage
		if json.Unmarshal(ex, &top) != nil {
			continue
		}
		if _, code := top["code"]; !code {
			continue
		}
		_, ok := top["ok"]
		_, fail := top["fail"]
		if ok || fail {
			return false
		}
		seen = true
	}
	return seen
}

func examplesHaveEnvelope(examples []json.RawMessage) bool {
	for _, ex := range examples {
		if schemas.IsEnvelope(ex) {
			return true
		}
	}
	return false
}

// resolve follows $refs from node to a schema object (nil when there is
// none).
func (s *Spec) resolve(node any, depth int) map[string]any {
	m, ok := node.(map[string]any)
	if !ok || depth > 16 {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		name := unescapePointer(strings.TrimPrefix(ref, "#/components/schemas/"))
		return s.resolve(s.components[name], depth+1)
	}
	return m
}

// requestSchema converts the operation's JSON request body schema; an
// operation without one gets {} (any body). A GET's request is its query
// parameters, as an object. nil means the conversion ran out of budget.
func (s *Spec) requestSchema(raw map[string]any) map[string]any {
	rb, _ := raw["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	node := media["schema"]
	if node == nil {
		node = queryObject(raw)
	}
	conv := &converter{components: s.components, request: true, budget: nodeBudget}
	schema := conv.convert(node, false, 0)
	if conv.exceeded {
		return nil
	}
	return schema
}

// queryObject is the operation's query parameters as one object schema,
// or nil when it has none.
func queryObject(raw map[string]any) any {
	params, _ := raw["parameters"].([]any)
	props := map[string]any{}
	var required []any
	for _, p := range params {
		pm, _ := p.(map[string]any)
		name, _ := pm["name"].(string)
		if pm["in"] != "query" || name == "" {
			continue
		}
		sc, _ := pm["schema"].(map[string]any)
		if sc == nil {
			sc = map[string]any{}
		}
		props[name] = sc
		if pm["required"] == true {
			required = append(required, name)
		}
	}
	if len(props) == 0 {
		return nil
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// requestBody returns a minimal valid request body for a request schema:
// required fields only, with deterministic placeholders. Page queries also
// get current=1,size=10, typed as the spec types them (the vendor types them
// as strings in places), so a read-only suite asks for one small page.
func requestBody(schema map[string]any) json.RawMessage {
	body, ok := placeholder(schema, 0).(map[string]any)
	if !ok {
		body = map[string]any{}
	}
	if props, ok := schema["properties"].(map[string]any); ok {
		current, hasCurrent := props["current"].(map[string]any)
		size, hasSize := props["size"].(map[string]any)
		if hasCurrent && hasSize {
			body["current"] = typedNumber(current, 1)
			body["size"] = typedNumber(size, 10)
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// typedNumber is n as the schema types it: a string where the spec says
// string, else a number.
func typedNumber(schema map[string]any, n int) any {
	if primaryType(schema) == "string" {
		return strconv.Itoa(n)
	}
	return n
}

// placeholder builds a deterministic value for a converted schema, filling
// required properties only.
func placeholder(schema map[string]any, depth int) any {
	if depth > 16 {
		return nil
	}
	if e, ok := schema["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	t := primaryType(schema)
	switch t {
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range stringList(schema["required"]) {
			ps, _ := props[r].(map[string]any)
			if n, ok := numberPlaceholders[r]; ok {
				out[r] = typedNumber(ps, n)
				continue
			}
			if r == "lang" && primaryType(ps) == "string" {
				out[r] = "en-US" // a real language tag, not "x"
				continue
			}
			out[r] = placeholder(ps, depth+1)
		}
		return out
	case "array":
		// A list the spec requires to be non-empty gets as many
		// placeholder items as it needs; any other list stays empty.
		n, _ := count(schema["minItems"])
		items, _ := schema["items"].(map[string]any)
		out := make([]any, 0, n)
		for i := int64(0); i < n && i < 16; i++ {
			out = append(out, placeholder(items, depth+1))
		}
		return out
	case "string":
		// As long as the spec demands (a 32-character password hash).
		n, _ := count(schema["minLength"])
		return strings.Repeat("x", int(max(1, min(n, 256))))
	case "integer", "number":
		return 1
	case "boolean":
		return false
	}
	return nil
}

// numberPlaceholders are typed as the schema types them (a number or its
// decimal string): one small page rather than page "x", and an amount that
// is a number even where money is a string.
var numberPlaceholders = map[string]int{"current": 1, "size": 10, "amount": 1}

func primaryType(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

// catsGatewayPrefix is where the spec documents the market-maker report
// operations: /api/cats-gateway/global/{bizType}. Their catalog Path is
// schemas.CatsGatewayPath, which the client mounts under {base}/api.
const catsGatewayPrefix = "/api/" + schemas.CatsGatewayPath + "/"

// splitPath derives the path kind and bizType from a spec path.
func splitPath(p string) (kind, bizType string) {
	if rest, ok := strings.CutPrefix(p, catsGatewayPrefix); ok {
		// Documented under the cats-gateway mount, not the /api/global/
		// every other gateway operation uses.
		return schemas.CatsGatewayPath, rest
	}
	if i := strings.LastIndex(p, "/global/"); i >= 0 {
		return "global", p[i+len("/global/"):]
	}
	for _, k := range []string{"third/login", "login", "register", "auth", "h"} {
		if strings.HasPrefix(p, "/"+k+"/") {
			return k, strings.TrimPrefix(p, "/"+k+"/")
		}
	}
	if strings.Trim(p, "/") == "" {
		// POST / is the vendor's external-settlement callback (it calls the
		// integrator); it has no name, so it is catalogued as "root".
		return "", "root"
	}
	return "", strings.Trim(p, "/")
}

var versionLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)version\s*=\s*([0-9]+(?:\.[0-9]+)+)`) })

// version reads "version=x.y.z" from the description, else the example of
// the "version" header parameter, else the vendor default 0.0.1.
func version(desc string, raw map[string]any) string {
	if m := versionLine().FindStringSubmatch(desc); m != nil {
		return m[1]
	}
	params, _ := raw["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if pm["in"] == "header" && strings.EqualFold(fmt.Sprint(pm["name"]), "version") {
			if v, ok := pm["example"].(string); ok && versionLine().MatchString("version="+v) {
				return v
			}
		}
	}
	return "0.0.1"
}

var (
	loginMarker = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)after log\s?-?in|登录之后|登录后|requires? login|need(?:s)? (?:to )?log\s?in`)
	})
	guestMarker = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)visitors? can access|accessible (?:to|for) (?:visitors|guests)|guests? (?:can )?access|guest accessible|游客|without login|no login required`)
	})
)

// needsLogin decides whether an operation needs a token: an explicit marker
// in the description wins ("Access after login"/"登录之后" vs "Visitors can
// access"/"游客"); else a required "token" header; else login, register and
// social-login paths are guest paths and every other client operation is
// assumed to need a token (sending one to a guest operation is harmless,
// omitting it from a protected one fails).
func needsLogin(family, pathKind, desc string, raw map[string]any) bool {
	switch {
	case guestMarker().MatchString(desc):
		return false
	case loginMarker().MatchString(desc):
		return true
	}
	params, _ := raw["parameters"].([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if pm["in"] == "header" && strings.EqualFold(fmt.Sprint(pm["name"]), "token") && pm["required"] == true {
			return true
		}
	}
	switch pathKind {
	case "login", "register", "third/login", "h", "auth":
		return false
	}
	// Auth2 authenticates with its own credentials, and the vendor calls
	// the webhook endpoints with no token at all.
	return family != "auth2" && family != "webhook"
}

// areaByTag maps the vendor's top-level tags (EN and CN) to our area labels.
var areaByTag = map[string]string{
	"customer": "customer", "客户接口": "customer",
	"trade": "trade", "交易接口": "trade",
	"funds": "funds", "fund": "funds", "资金接口": "funds", "activities": "funds",
	"message": "message", "消息接口": "message",
	"basic": "market", "product": "market", "基础数据": "market",
	"index": "index", "基金接口": "index",
	"credit card": "credit-card", "信用卡接口": "credit-card",
	"market maker": "market-maker", "做市商接口": "market-maker",
	"external settlement": "settlement", "外部结算接口": "settlement", "cp接口": "settlement",
	"auth": "auth",
}

// areaByService maps the bizType's service prefix when no tag decides.
var areaByService = map[string]string{
	"customer": "customer", "config": "market", "fund": "funds", "message": "message",
	"tradeapi": "trade", "admin": "auth", "report": "market-maker", "benefit": "market-maker",
	"passToCredit": "credit-card", "makerbot": "market-maker",
}

func area(tags []string, bizType string) string {
	for _, t := range tags {
		top := strings.ToLower(strings.TrimSpace(strings.SplitN(t, "/", 2)[0]))
		if a, ok := areaByTag[top]; ok {
			return a
		}
	}
	svc := strings.SplitN(bizType, ".", 2)[0]
	if a, ok := areaByService[svc]; ok {
		return a
	}
	return "other"
}

var (
	readVerbs = map[string]bool{"query": true, "find": true, "get": true, "list": true, "page": true,
		"check": true, "detail": true, "search": true, "count": true}
	// writeWords disqualify an operation even after a read verb
	// (getAndLockX, checkAndSendCode): read-only must be certain because the
	// read-only suite runs against production.
	writeWords = map[string]bool{"create": true, "add": true, "insert": true, "update": true, "edit": true,
		"modify": true, "change": true, "delete": true, "del": true, "remove": true, "apply": true,
		"cancel": true, "confirm": true, "send": true, "bind": true, "unbind": true, "set": true, "save": true,
		"submit": true, "reset": true, "lock": true, "unlock": true, "extract": true, "destroy": true,
		"transfer": true, "trade": true, "withdraw": true, "deposit": true, "buy": true, "sell": true,
		"redeem": true, "subscribe": true, "open": true, "close": true, "register": true, "login": true,
		"logout": true, "verify": true, "upload": true, "push": true, "adjust": true, "exchange": true,
		"operation": true, "forced": true, "force": true, "and": true}
	// nounWords are write verbs that the vendor also uses as nouns after a
	// read verb: queryTradeRecordPage, getWithdrawCurrencyList,
	// getDepositCoinList, getExchangeRateList, getSymbolTradeTypeByCompanyId.
	nounWords = map[string]bool{"trade": true, "withdraw": true, "deposit": true, "exchange": true,
		"transfer": true, "close": true, "open": true, "subscribe": true, "lock": true, "redeem": true,
		"apply": true, "operation": true, "verify": true}
)

// ReadOnly reports whether a method name is safe to call against a live
// system. Its first word is a read verb (query, find, get, list, page, check,
// detail, search, count) or its last word names a listing (list, page,
// detail, info: optionalList, customerViewNoticePage), and no word is a write
// verb (create, add, update, edit, delete, del, transfer, trade, apply,
// cancel, send, bind, set...). Write verbs the vendor also uses as nouns in
// the middle of a name (queryTradeRecordPage, getWithdrawCurrencyList,
// getDepositCoinList, getExchangeRateList) are allowed there and nowhere else.
func ReadOnly(method string) bool {
	words := camelWords(method)
	if len(words) == 0 || !(readVerbs[words[0]] || readNouns[words[len(words)-1]]) {
		return false
	}
	for i, w := range words {
		if !writeWords[w] {
			continue
		}
		if nounWords[w] && i > 0 && i < len(words)-1 {
			continue
		}
		return false
	}
	return true
}

var readNouns = map[string]bool{"list": true, "page": true, "detail": true, "info": true}

func camelWords(s string) []string {
	var words []string
	var cur []rune
	for _, r := range s {
		if (r >= 'A' && r <= 'Z') || r == '_' || r == '/' || r == '-' {
			if len(cur) > 0 {
				words = append(words, strings.ToLower(string(cur)))
			}
			cur = cur[:0]
			if r == '_' || r == '/' || r == '-' {
				continue
			}
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		words = append(words, strings.ToLower(string(cur)))
	}
	return words
}

// Import converts spec for family and applies the overlays in overlays (one
// <bizType>.yaml per operation at the root of the FS correcting the data
// schema, and one in requests/ correcting the request schema; nil for none).
// The result maps slash-separated paths relative to the schemas root to file
// contents: "envelope.json", "<family>/catalog.json",
// "<family>/<bizType>.json" and "<family>/requests/<bizType>.json".
//
// Supplements are further vendor files of the family (the CN Client spec
// beside the canonical EN one): an operation at a path the canonical spec
// lacks is imported from the first supplement that has it, with a Note
// naming that file. An operation both publish comes from the canonical
// spec alone.
func Import(spec []byte, family string, overlays fs.FS, supplements ...Supplement) (map[string][]byte, error) {
	if !validFamily.MatchString(family) {
		return nil, fmt.Errorf("import: invalid family %q", family)
	}
	s, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	ops, err := s.Operations(family)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", family, err)
	}
	if ops, err = supplement(ops, family, supplements); err != nil {
		return nil, fmt.Errorf("import %s: %w", family, err)
	}
	// s.components is used below only for overlay "set" fragments, which
	// name the canonical spec's components.
	rules, err := loadOverlays(overlays, ".")
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", family, err)
	}
	requestRules, err := loadOverlays(overlays, RequestDir)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", family, err)
	}
	files := map[string][]byte{}
	catalog := make([]schemas.Operation, 0, len(ops))
	for i := range ops {
		op := &ops[i]
		name := schemas.FileName(op.Operation.BizType)
		if op.Data, err = applyOverlays(op.Data, rules, name, ".", s.components, false, op.Examples); err != nil {
			return nil, fmt.Errorf("import %s: %w", family, err)
		}
		if len(op.Data) == 0 {
			// Never silently open: the schema says so, and the committed
			// tree's test wants an overlay with the reason instead.
			op.Data = map[string]any{"$comment": OpenMarker + UnexplainedOpen}
		}
		if op.RequestBody, err = applyOverlays(op.RequestBody, requestRules, name, RequestDir, s.components, true, nil); err != nil {
			return nil, fmt.Errorf("import %s: %w", family, err)
		}
		if _, corrected := requestRules[name]; corrected {
			// A corrected request schema makes a better placeholder
			// (an enum's first value rather than "x").
			op.Operation.Request = requestBody(op.RequestBody)
		}
		delete(rules, name)
		delete(requestRules, name)
		for _, f := range []struct {
			rel    string
			schema map[string]any
		}{{family + "/" + name, op.Data}, {family + "/" + RequestDir + "/" + name, op.RequestBody}} {
			b, err := encodeSchema(f.schema)
			if err != nil {
				return nil, fmt.Errorf("import %s: %s: %w", family, op.Operation.BizType, err)
			}
			files[f.rel] = b
		}
		catalog = append(catalog, op.Operation)
	}
	if len(rules)+len(requestRules) > 0 {
		// An overlay for an operation the spec no longer has is stale: say so
		// instead of silently dropping a correction.
		var stale []string
		for name := range rules {
			stale = append(stale, overlayName(".", name))
		}
		for name := range requestRules {
			stale = append(stale, overlayName(RequestDir, name))
		}
		sort.Strings(stale)
		return nil, fmt.Errorf("import %s: overlays for operations not in the spec: %s", family, strings.Join(stale, ", "))
	}
	b, err := encode(catalog)
	if err != nil {
		return nil, fmt.Errorf("import %s: catalog: %w", family, err)
	}
	files[family+"/catalog.json"] = b
	for file, schema := range map[string]map[string]any{schemas.EnvelopeFile: Envelope(), schemas.QuoteEnvelopeFile: QuoteEnvelope(),
		schemas.CodeOnlyEnvelopeFile: CodeOnlyEnvelope()} {
		b, err := encode(schema)
		if err != nil {
			return nil, err
		}
		files[file] = b
	}
	return files, nil
}

// UnexplainedOpen is the $comment reason of an empty data schema that no
// overlay explains (see Rule.Open).
const UnexplainedOpen = "the spec documents no data schema, and no overlay derives one or says why it stays open"

var validFamily = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// RequestDir is where request schemas and their overlays sit inside a
// family's directory and its overlays directory.
const RequestDir = "requests"

// encodeSchema writes a converted schema as a draft-07 document.
func encodeSchema(schema map[string]any) ([]byte, error) {
	root := map[string]any{"$schema": draft}
	for k, v := range schema {
		root[k] = v
	}
	return encode(root)
}

const draft = "http://json-schema.org/draft-07/schema#"

// Envelope is the schema of the vendor's response envelope, shared by every
// family. Required: bizCode, code, msg, tm, trace, ok, fail: every envelope
// example the vendor publishes with the current gateway carries them
// (bizCode may be ""). msg and msgParams may be null (msgParams is null in
// most examples; msg is a Java String). data is absent on some errors and may
// be anything, so it is optional and untyped here: the per-operation schema
// checks it. Unknown keys are allowed: older examples carry "class".
func Envelope() map[string]any {
	str := map[string]any{"type": "string"}
	nullStr := map[string]any{"type": []any{"string", "null"}}
	boolean := map[string]any{"type": "boolean"}
	return map[string]any{
		"$schema": draft,
		"type":    "object",
		"properties": map[string]any{
			"bizCode":   str,
			"code":      str,
			"msg":       nullStr,
			"tm":        map[string]any{"type": "integer", "format": "int64"},
			"trace":     str,
			"msgParams": nullStr,
			"data":      map[string]any{},
			"ok":        boolean,
			"fail":      boolean,
		},
		"required": []any{"bizCode", "code", "fail", "msg", "ok", "tm", "trace"},
	}
}

// CodeOnlyEnvelope is the standard envelope without ok and fail among its
// required members (schemas.EnvelopeCodeOnly): every example the vendor
// publishes for a few credit-card operations lacks both, and success there
// is code "0". It is the standard envelope's schema otherwise, so ok and
// fail are type-checked where they are sent.
func CodeOnlyEnvelope() map[string]any {
	env := Envelope()
	var required []any
	for _, r := range env["required"].([]any) {
		if r != "ok" && r != "fail" {
			required = append(required, r)
		}
	}
	env["required"] = required
	return env
}

// QuoteEnvelope is the schema of the quote service's envelope, which the
// Manager quote REST endpoints answer with: {ret, msg, trace, data}, ret an
// integer return code (200 success), msg its message, trace the request's.
// It is a second envelope, not a loosened first one: a quote reply has
// none of bizCode, code, tm, ok or fail, and a gateway reply no ret. Every
// example the vendor publishes carries all four members; data is checked by
// the operation's schema.
func QuoteEnvelope() map[string]any {
	return map[string]any{
		"$schema": draft,
		"type":    "object",
		"properties": map[string]any{
			"ret":   map[string]any{"type": "integer"},
			"msg":   map[string]any{"type": []any{"string", "null"}},
			"trace": map[string]any{"type": "string"},
			"data":  map[string]any{},
		},
		"required": []any{"msg", "ret", "trace"},
	}
}

// encode writes v as deterministic JSON: sorted keys, 2-space indent, no
// HTML escaping, trailing newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ImportFile imports the spec at path for family, reading overlays from
// overlayDir ("" for none) and writing under outDir, the schemas root
// (outDir/envelope.json, outDir/<family>/...). Schema files of the family
// that the spec no longer defines are removed, so the tree mirrors the spec;
// files whose bytes are unchanged are not rewritten.
//
// supplementPaths are further files of the family (see Import).
func ImportFile(path, family, overlayDir, outDir string, supplementPaths ...string) error {
	spec, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var sups []Supplement
	for _, p := range supplementPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		sups = append(sups, Supplement{Name: filepath.Base(p), Spec: b})
	}
	var ov fs.FS
	if overlayDir != "" {
		if _, err := os.Stat(overlayDir); err == nil {
			ov = os.DirFS(overlayDir)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("import: overlays: %w", err)
		}
	}
	files, err := Import(spec, family, ov, sups...)
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	for _, dir := range []string{family, family + "/" + RequestDir} {
		abs := filepath.Join(outDir, filepath.FromSlash(dir))
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		existing, err := filepath.Glob(filepath.Join(abs, "*.json"))
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		for _, f := range existing {
			if _, keep := files[dir+"/"+filepath.Base(f)]; !keep {
				if err := os.Remove(f); err != nil {
					return fmt.Errorf("import: remove stale %s: %w", f, err)
				}
			}
		}
	}
	for _, rel := range sortedKeys(files) {
		dst := filepath.Join(outDir, filepath.FromSlash(rel))
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, files[rel]) {
			continue
		}
		if err := os.WriteFile(dst, files[rel], 0o644); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// KindOf names a decoded YAML/JSON value's kind for error reasons.
func KindOf(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case string:
		return "a string"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case int, float64, uint64, int64:
		return "a number"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
