package redact

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// canary returns a value unique to key that no mask or ordinary text contains.
func canary(key string) string { return "CANARY-" + strings.ToLower(key) + "-7f3a9c" }

// sampleKeys lists, for every default entry, the spellings a body may use:
// the key itself or, for a suffix pattern, vendor spellings it must catch.
func sampleKeys(entries []string) []string {
	patternSamples := map[string][]string{
		"*token":      {"smsSendToken", "emailSendToken", "verifyCodeToken", "checkToken", "idToken", "X-Auth-Token"},
		"*password":   {"stpPassword", "dbPassword", "adminPassword", "checkPassword"},
		"*pwd":        {"fundPwd", "assertPwd"},
		"*apikey":     {"openApiKey"},
		"*signature":  {"X-Mmcontract-Signature", "requestSignature"},
		"*secret":     {"oauth_token_secret", "clientSecret"},
		"*email":      {"customEmail", "verifyCodeEmail"},
		"*phone":      {"userPhone", "reservePhone"},
		"*mobile":     {"contactMobile"},
		"*firstname":  {"cardFirstName"},
		"*lastname":   {"cardLastName"},
		"*username":   {"adminUserName", "tgUserName"},
		"*idcard":     {"holderIdCard"},
		"*address":    {"bitcoinAddress", "ethereumAddress", "tronAddress", "bnbAddress", "toAddress", "mailingAddress"},
		"*addr":       {"refundToAddr"},
		"*cardno":     {"bankCardNo", "debitCardNo"},
		"*cardnumber": {"bankCardNumber", "creditCardNumber"},
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e, "*") {
			s, ok := patternSamples[e]
			if !ok {
				panic("no sample spellings for pattern " + e)
			}
			out = append(out, s...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// Ensure every default secret and PII key is masked as a direct field, nested
// in an object, inside an array, and in upper-case and title-case spellings,
// and that its value is learned for free text.
func TestDefaultKeysMasked(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		list string
		keys []string
	}{{"secret", cfg.SecretKeys}, {"pii", cfg.PIIKeys}} {
		for _, key := range sampleKeys(tc.keys) {
			for _, spelling := range []string{key, strings.ToUpper(key), strings.ToUpper(key[:1]) + key[1:]} {
				t.Run(tc.list+"/"+spelling, func(t *testing.T) {
					r := New(DefaultConfig())
					v := canary(spelling)
					k, _ := json.Marshal(spelling)
					body := fmt.Sprintf(`{"top":{%s:%q},"list":[{"x":1,%s:%q}],%s:%q}`, k, v, k, v+"-2", k, v+"-3")
					out := string(r.JSON([]byte(body)))
					if strings.Contains(out, "CANARY") {
						t.Fatalf("value survived: %s", out)
					}
					if strings.Count(out, `"[redacted:`) != 3 {
						t.Fatalf("want 3 masks, got %s", out)
					}
					want := "log line [redacted] end"
					if strings.EqualFold(spelling, "name") || strings.EqualFold(spelling, "displayName") {
						// A code-like "name" (a product, an asset) is masked but
						// not learned: see learnAmbiguous.
						want = "log line " + v + " end"
					}
					if got := r.Text("log line " + v + " end"); got != want {
						t.Fatalf("learning: got %q, want %q", got, want)
					}
					if !r.Sensitive(spelling) {
						t.Fatalf("Sensitive(%q) = false", spelling)
					}
				})
			}
		}
	}
}

// Ensure fields that merely resemble sensitive ones stay readable: ordinary
// envelope fields and the vendor's explicitly allowed shareToken.
func TestPlainKeysKept(t *testing.T) {
	r := New(DefaultConfig())
	body := `{"bizCode":"","code":"0","msg":"Success","tm":955,"trace":"x-abc-123456789","ok":true,"data":{"shareToken":116,"phoneArea":"+86","idCardType":"1","country":"CN","symbolName":"BINAN_SOL_USDT","customerNo":"86009002"}}`
	if got := string(r.JSON([]byte(body))); got != body {
		t.Fatalf("plain body changed:\n got %s\nwant %s", got, body)
	}
}

// Ensure the vendor's spellings of sensitive fields are covered: every field
// name in the vendor's OpenAPI documents that looks sensitive is either
// masked by the default config or on the reviewed list of harmless lookalikes
// below. A new vendor field such as "backupEmail2" fails here until someone
// decides.
func TestVendorSpellingsCovered(t *testing.T) {
	dir := vendorDir(t)
	// Reviewed: codes, types, flags, names of things rather than people,
	// public keys, and schema type names.
	harmless := map[string]bool{}
	for _, k := range strings.Fields(`addressList assetCode bank bankBranch bankCode bankCurrency bankName bankOrder
		bizCode bizName blockchainName businessCode businessTypeName businessType1Name cardId cardType chainName
		channelCode channelName code companyName corporateActionCode countryCode currencyCode currencyName
		customerGroupName dataBaseName defaultWallet developerAccount displayBankName dividendSymbolName
		elementCode elementName emailArea errorCode exchangeName fundName idCardArea idCardType inCurrencyCode
		internationalCode isWallet iso_code key keyFile1Name keyFile2Name kycCode kycName lastUpdateEmailTime
		lastUpdatePhoneTime lastUpdatePwdTime levelCode levelName mailingCountry managerName merchantName
		modifyPwdDisableWithdrawIntervals firstSetFundPwdDisableWithdrawIntervals
		firstSetLoginPwdDisableWithdrawIntervals nationCode nationalCode newAddressDisableIntervals
		openCardEndTime openCardStartTime openCardTargetAmount openCardTime otherCode otherName outCurrencyCode
		parentCode pathCode pathName paymentChannelCode paymentCode phoneArea physicalCard preLevelName pubKey
		publicKey pwdModifyEnable pwdType resetAccount sendTokenThirdType shareToken shareTokenCode
		shareTokenDigits sortFieldName statusName swiftCode symbolCode symbolName symbolSourceCode tg tgStatus
		thirdLoginEmailFlag thirdServerCode tradeTypeName typeName unitName walletEnable walletList
		withdrawBankList withdrawalAddressStatus xaxisName`) {
		harmless[k] = true
	}
	looksSensitive := regexp.MustCompile(`(?i)mail|phone|mobile|card|wallet|addr|pwd|passw|token|secret|idcard|sign|key|name$|postal|birth|passport|bank|iban|ip$|ips$|whats|telegram|^tg|account$|accountno|code$`)
	schemaType := regexp.MustCompile(`^[A-Z].*(DTO|Dto|VO|Vo)$`)
	fieldRE := regexp.MustCompile(`(?m)^\s+([A-Za-z_][A-Za-z0-9_]*):`)
	files, _ := filepath.Glob(filepath.Join(dir, "openapi", "*.yaml"))
	if len(files) == 0 {
		t.Skip("no vendor OpenAPI documents")
	}
	r := New(DefaultConfig())
	var missing []string
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fieldRE.FindAllSubmatch(b, -1) {
			k := string(m[1])
			if seen[k] {
				continue
			}
			seen[k] = true
			if looksSensitive.MatchString(k) && !schemaType.MatchString(k) && !harmless[k] && !r.Sensitive(k) {
				missing = append(missing, k)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("vendor fields neither masked nor reviewed as harmless: %v", missing)
	}
	for _, k := range []string{"email", "phone", "name", "firstName", "lastName", "idCard", "postalCode", "loginName",
		"address", "bankCardNo", "cardNumber", "bankAccount", "walletAccount", "bitcoinAddress", "token", "loginPwd",
		"apiKey", "privateKey", "secretKeyMd5", "appSecret", "signature", "accessToken", "refreshToken", "googleCode"} {
		if !seen[k] {
			t.Errorf("vendor documents no longer mention %q: review the default list", k)
		}
	}
}

// vendorDir locates <module root>/../shared/vendor or skips.
func vendorDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	v := filepath.Join(dir, "..", "shared", "vendor")
	if _, err := os.Stat(v); err != nil {
		t.Skipf("vendor material absent: %v", err)
	}
	return v
}

// Ensure learned values are scrubbed from free text whatever their
// spelling: overlapping and nested values leave no fragment, and the URL-
// and JSON-escaped forms and other letter cases are caught.
func TestTextScrubsLearned(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("abcdef", "defghi", "secret-token-1", "secret-token-12", "alice+x@example.com", `quo"te/path`, "ab")
	r.LearnPassword("hunter22")
	for _, tc := range []struct{ in, want string }{
		{"x abcdefghi y", "x [redacted] y"},                                 // overlapping
		{"x secret-token-123 y", "x [redacted]3 y"},                         // longest of two nested values
		{"x secret-token-1 y", "x [redacted] y"},                            // shorter one alone
		{"GET /login?u=alice%2Bx%40example.com", "GET /login?u=[redacted]"}, // query-escaped
		{"path /u/alice+x@example.com", "path /u/[redacted]"},
		{`{"msg":"quo\"te/path"}`, `{"msg":"[redacted]"}`}, // JSON-escaped
		{"password hunter22 HUNTER22", "password [redacted] [redacted]"},
		{"short ab stays", "short ab stays"}, // below the minimum length
		{"nothing here", "nothing here"},
	} {
		if got := r.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	r2 := New(DefaultConfig())
	r2.LearnPassword("pw-canary")
	for _, s := range []string{md5Hex("pw-canary"), strings.ToUpper(md5Hex("pw-canary"))} {
		if got := r2.Text("loginPwd=" + s); got != "loginPwd=[redacted]" {
			t.Errorf("md5 %s not scrubbed: %q", s, got)
		}
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Ensure masks keep the shape: strings stay strings in the right length
// class, empty stays empty, numbers keep digit count and integer-ness,
// booleans and null are untouched, and a second pass changes nothing.
func TestShapePreserved(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`""`, `""`},
		{`"a"`, `"[redacted:1-8]"`},
		{`"12345678"`, `"[redacted:1-8]"`},
		{`"123456789"`, `"[redacted:9-32]"`},
		{`"张三李四王五赵六"`, `"[redacted:1-8]"`}, // counted in characters, not bytes
		{`"` + strings.Repeat("x", 32) + `"`, `"[redacted:9-32]"`},
		{`"` + strings.Repeat("x", 33) + `"`, `"[redacted:33+]"`},
		{`13812345678`, `10000000001`},
		{`0`, `0`},
		{`-7`, `-1`},
		{`12.50`, `10.10`},
		{`0.0025`, `0.0001`},
		{`12.0`, `11.0`},
		{`1.5e3`, `1.1e3`},
		{`125e-2`, `101e-2`},
		{`-0.0`, `-0.0`},
		{`true`, `true`},
		{`null`, `null`},
		{`{"a":"x","b":[1,"yy",null,{"c":false}]}`, `{"a":"[redacted:1-8]","b":[1,"[redacted:1-8]",null,{"c":false}]}`},
		{`[]`, `[]`},
	} {
		r := New(DefaultConfig())
		in := `{"email":` + tc.in + `}`
		got := string(r.JSON([]byte(in)))
		want := `{"email":` + tc.want + `}`
		if got != want {
			t.Errorf("JSON(%s) = %s, want %s", in, got, want)
		}
		if again := string(r.JSON([]byte(got))); again != got {
			t.Errorf("not idempotent: %s -> %s", got, again)
		}
		// Kind is kept: integer stays integer, decimal stays decimal.
		var a, b any
		da, db := json.NewDecoder(strings.NewReader(tc.in)), json.NewDecoder(strings.NewReader(tc.want))
		da.UseNumber()
		db.UseNumber()
		if da.Decode(&a) != nil || db.Decode(&b) != nil {
			t.Fatalf("bad case %s", tc.in)
		}
		if na, ok := a.(json.Number); ok {
			_, ia := na.Int64()
			_, ib := b.(json.Number).Int64()
			if (ia == nil) != (ib == nil) {
				t.Errorf("%s -> %s changes integer-ness", tc.in, tc.want)
			}
		} else if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
			t.Errorf("%s -> %s changes type", tc.in, tc.want)
		}
	}
}

// Ensure key order, whitespace and untouched escapes are kept byte for byte.
func TestFormattingPreserved(t *testing.T) {
	r := New(DefaultConfig())
	in := "{\n  \"zeta\": 1,\n  \"email\" : \"a@b.cd\",\n  \"alpha\": \"\\u00e9\\/x\",\n  \"mid\": [ 1 , 2 ]\n}\n"
	want := "{\n  \"zeta\": 1,\n  \"email\" : \"[redacted:1-8]\",\n  \"alpha\": \"\\u00e9\\/x\",\n  \"mid\": [ 1 , 2 ]\n}\n"
	if got := string(r.JSON([]byte(in))); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// Ensure a learned value is scrubbed from every part of a body: other
// strings (also when it appears before the key that marks it), keys,
// numbers, and escaped strings, and the output stays valid JSON.
func TestJSONScrubsLearnedEverywhere(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("tok-CANARY-1")
	in := `{"msg":"bad email alice@example.com, token tok-CANARY-1","map":{"alice@example.com":1},"contact":13812345678,` +
		`"esc":"\u0074ok-CANARY-1","data":{"email":"alice@example.com","phone":13812345678}}`
	out := r.JSON([]byte(in))
	if !json.Valid(out) {
		t.Fatalf("invalid output %s", out)
	}
	for _, leak := range []string{"alice", "CANARY", "13812345678"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("%q survived: %s", leak, out)
		}
	}
}

// Ensure input that is not JSON falls back to Text.
func TestInvalidJSONFallsBackToText(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("secret-value")
	for _, in := range []string{`<html>secret-value</html>`, `{"token":"secret-value"`, "", `{"a":1}{"b":2}`} {
		want := strings.ReplaceAll(in, "secret-value", "[redacted]")
		if got := string(r.JSON([]byte(in))); got != want {
			t.Errorf("JSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// Ensure deep nesting neither panics nor recurses on the Go stack: up to
// encoding/json's limit of 10000 levels the body is redacted structurally,
// beyond it (not valid JSON to encoding/json either) it goes through Text.
func TestDeepNesting(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("deep-CANARY")
	in := strings.Repeat(`{"email":[`, 4999) + `"deep-CANARY"` + strings.Repeat(`]}`, 4999)
	out := r.JSON([]byte(in))
	if !json.Valid(out) || !strings.Contains(string(out), `["[redacted:9-32]"]`) {
		t.Fatal("deep body not redacted")
	}
	in = strings.Repeat(`[`, 20000) + `"deep-CANARY"` + strings.Repeat(`]`, 20000)
	if out := string(r.JSON([]byte(in))); strings.Contains(out, "CANARY") || !strings.Contains(out, textMask) {
		t.Fatal("over-deep body not scrubbed")
	}
}

// Ensure Header masks and learns secret headers, splits credentials out of
// Authorization and cookies, scrubs other headers, and leaves h untouched.
func TestHeader(t *testing.T) {
	r := New(DefaultConfig())
	h := http.Header{
		"Token":                  {"tok-abcdefgh-1234"},
		"Apikey":                 {"1710e1f6b4b54c15bea72e8669966591"},
		"Signature":              {"sig+/base64=="},
		"Authorization":          {"Bearer bearer-cred-xyz"},
		"Cookie":                 {"sid=cookie-sid-123; theme=dark"},
		"Set-Cookie":             {"sess=set-cookie-val; Path=/; HttpOnly"},
		"X-Mmcontract-Signature": {"sha256=deadbeef"},
		"Referer":                {"https://x.test/?token=tok-abcdefgh-1234"},
		"Content-Type":           {"application/json"},
	}
	before := fmt.Sprint(h)
	out := r.Header(h)
	if fmt.Sprint(h) != before {
		t.Fatal("input header modified")
	}
	for _, k := range []string{"Token", "Apikey", "Signature", "Authorization", "Cookie", "Set-Cookie", "X-Mmcontract-Signature"} {
		if v := out.Get(k); !isMask(v) {
			t.Errorf("%s = %q, want a mask", k, v)
		}
	}
	if got := out.Get("Referer"); got != "https://x.test/?token=[redacted]" {
		t.Errorf("Referer = %q", got)
	}
	if got := out.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Text("curl -H 'Authorization: Bearer bearer-cred-xyz' -b sid=cookie-sid-123 set-cookie-val"); strings.Contains(got, "cred") || strings.Contains(got, "cookie-") {
		t.Errorf("credential parts not learned: %q", got)
	}
	if r.Header(nil) != nil {
		t.Error("Header(nil) != nil")
	}
}

// Ensure SensitivePointer flags pointers through a sensitive key.
func TestSensitivePointer(t *testing.T) {
	r := New(DefaultConfig())
	for ptr, want := range map[string]bool{
		"/data/email": true, "/data/address/0/city": true, "/data/accountList/0/currency": false,
		"/data/a~1b": false, "": false, "/data/records/3/privateKey": true,
	} {
		if got := r.SensitivePointer(ptr); got != want {
			t.Errorf("SensitivePointer(%q) = %v, want %v", ptr, got, want)
		}
	}
}

// Ensure concurrent JSON, Text, Learn, Header and Writer use is race-free
// and loses nothing (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := New(DefaultConfig())
	var sink lockedBuffer
	w := r.NewWriter(&sink)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				v := fmt.Sprintf("val-%d-%d-CANARY", g, i)
				out := r.JSON([]byte(fmt.Sprintf(`{"email":%q,"note":"x"}`, v)))
				if strings.Contains(string(out), "CANARY") {
					t.Errorf("leak %s", out)
				}
				r.Header(http.Header{"Token": {v + "-h"}})
				if got := r.Text(v); got != textMask {
					t.Errorf("Text(%q) = %q", v, got)
				}
				fmt.Fprintf(w, "line %s\n", v)
			}
		}(g)
	}
	wg.Wait()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := sink.String(); strings.Contains(s, "CANARY") || strings.Count(s, "\n") != 400 {
		t.Fatalf("writer output wrong: %d lines, leak=%v", strings.Count(s, "\n"), strings.Contains(s, "CANARY"))
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Ensure a person's name under the ambiguous key "name" is learned, while a
// product or asset code under the same key is masked but not learned, so it
// is not scrubbed from enum values and baselines elsewhere.
func TestAmbiguousNameLearning(t *testing.T) {
	r := New(DefaultConfig())
	out := string(r.JSON([]byte(`{"data":{"name":"Zhang Wei","list":[{"name":"USDT"},{"name":"王小明"}]}}`)))
	for _, v := range []string{"Zhang Wei", "USDT", "王小明"} {
		if strings.Contains(out, v) {
			t.Errorf("%q survived in %s", v, out)
		}
	}
	if got := r.Text("code USDT paid by Zhang Wei and 王小明"); got != "code USDT paid by [redacted] and [redacted]" {
		t.Errorf("Text = %q", got)
	}
}

// Ensure a body that is not JSON masks the value of a quoted key the JSON
// path masks, whatever characters the key holds: "000Address" starts with
// digits, and the text path's word scanner once passed it by (FuzzJSON
// found a 17-digit value under it left in a broken body).
func TestTextQuotedKeys(t *testing.T) {
	for _, key := range []string{"000Address", "home address", "$email"} {
		r := New(DefaultConfig())
		valid := `{"a":"x","` + key + `":"62220212345678901"}`
		broken := "{\"a\":\"\x00\",\"" + key + "\":\"62220212345678901\"}"
		if got := string(r.JSON([]byte(valid))); strings.Contains(got, "62220212345678901") {
			t.Fatalf("%s: the JSON path left the value: %s", key, got)
		}
		if got := string(New(DefaultConfig()).JSON([]byte(broken))); strings.Contains(got, "62220212345678901") {
			t.Errorf("%s: a broken body kept the value the JSON path masks: %q", key, got)
		}
	}
}
