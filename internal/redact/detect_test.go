package redact

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Ensure each detector masks what it is for, with no prior knowledge, and
// leaves the near-misses that reports must keep showing: order ids,
// millisecond timestamps, prices, currency codes, symbols, trace ids and our
// own drift fingerprints.
func TestDetectors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		// Masked.
		{"email", "user a.b-c@mail.example.com is locked", "user [redacted] is locked"},
		{"email url-encoded", "GET /x?to=a.b%40example.org&x=1", "GET /x?to=[redacted]&x=1"},
		{"phone with country code", "call +86 139 7731 0428 now", "call [redacted] now"},
		{"phone compact", "tel:+8613977310428", "tel:[redacted]"},
		{"chinese mobile", "phone 13977310428.", "phone [redacted]."},
		{"chinese mobile bare", "customer 13977310428 not allowed", "customer [redacted] not allowed"},
		{"card", "card 4111 1111 1111 1111 declined", "card [redacted] declined"},
		{"card compact unionpay", "bankCard: 6222027731042899731", "bankCard: [redacted]"},
		{"chinese id", "id 110101199003071233 ok", "id [redacted] ok"},
		{"chinese id with X", "ID 11010119900307109X.", "ID [redacted]."},
		{"chinese id, wrong check digit", "ref 110101199003071234", "ref 110101199003071234"},
		{"id number context", "ID number CNRY7Q04281977 is taken", "ID number [redacted] is taken"},
		{"passport context", "passport: E12345678", "passport: [redacted]"},
		{"jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
			"token [redacted] end"},
		{"bearer", "Authorization: Bearer abc.DEF_123-xyz~9", "Authorization: [redacted]"},
		{"bearer in prose", "sent Bearer abc.DEF_123-xyz~9 twice", "sent Bearer [redacted] twice"},
		{"hex secret", "key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 used", "key [redacted] used"},
		{"base64 secret", "secret MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7BFUpkGp3+XQ== end", "secret [redacted] end"},
		{"kv json", `{"code":"1","msg":"bad","data":{"email":"x@y.zz","phone":"13900000000","idCard":"AB12`,
			`{"code":"1","msg":"bad","data":{"email":"[redacted]","phone":"[redacted]","idCard":"[redacted]`},
		{"kv json nested", `{"address":{"city":"Paris","street":"1 rue"},"ok":true,"tm":16`, `{"address":{[redacted]},"ok":true,"tm":16`},
		{"kv json escaped", `body "{\"firstName\":\"Ann Lee\",\"status\":1}"`, `body "{\"firstName\":\"[redacted]\",\"status\":1}"`},
		{"kv form", "loginName=someone&password=hunter22&lang=en", "loginName=[redacted]&password=[redacted]&lang=en"},
		{"kv number", `{"bankCardNo":6222021234567890123,"x":1}`, `{"bankCardNo":[redacted],"x":1}`},

		// Survive.
		{"order id", "order 24153319 filled at 22.05", "order 24153319 filled at 22.05"},
		{"ms timestamp", `"tm":1677654224398,"createTime":1654081061854`, `"tm":1677654224398,"createTime":1654081061854`},
		{"position id", "positionId 2022122620993", "positionId 2022122620993"},
		{"snowflake", "dealId 1677654224398123456", "dealId 1677654224398123456"},
		{"luhn-valid but starts with 1", "id 1000000000000009", "id 1000000000000009"},
		{"price", "balance 1024.50 USD, fee -0.0668", "balance 1024.50 USD, fee -0.0668"},
		{"symbols", "BTC/USDT ETH/USDT BINAN_SOL_USDT", "BTC/USDT ETH/USDT BINAN_SOL_USDT"},
		{"trace", "trace x-8e544ed3-057a-48ed-ade2-27d3998f7411", "trace x-8e544ed3-057a-48ed-ade2-27d3998f7411"},
		{"fingerprint", "fingerprint=3f2a9c1d8e7b6a5f4e3d2c1b0a998877", "fingerprint=3f2a9c1d8e7b6a5f4e3d2c1b0a998877"},
		{"body digest", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"pointer", "/data/accountList/0/balance/forceLevel/earlyWarningLevel/ratio", "/data/accountList/0/balance/forceLevel/earlyWarningLevel/ratio"},
		{"method name", "customer.app.CustomerWebApiService.findCustomerInfo", "customer.app.CustomerWebApiService.findCustomerInfo"},
		{"module version", "golang.org/x/net@v0.21.0", "golang.org/x/net@v0.21.0"},
		{"no tld", "root@localhost", "root@localhost"},
		{"date", "2026-11-28 19:00:04", "2026-11-28 19:00:04"},
		{"plain key word", "name is required; phone is missing", "name is required; phone is missing"},
		{"hotel", "hotel 123456", "hotel 123456"},
		{"ip port", "127.0.0.1:9464", "127.0.0.1:9464"},
		{"short kv", "code=GATEWAY_CODE_005 lang=en-US", "code=GATEWAY_CODE_005 lang=en-US"},
		{"company", "company 439 customer 86001175", "company 439 customer 86001175"},
		{"pointer names a field", "/data/email: type: expected string", "/data/email: type: expected string"},
		{"path names a field", "config jobs[0].name: duplicate job name", "config jobs[0].name: duplicate job name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(DefaultConfig())
			got := r.Text(tc.in)
			if got != tc.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := r.Text(got); again != got {
				t.Errorf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

// Ensure a value found by a detector is learned, so its other spellings and
// later occurrences without a recognisable shape are scrubbed too.
func TestDetectedValuesLearned(t *testing.T) {
	r := New(DefaultConfig())
	r.Text(`{"msg":"locked","data":{"idCard":"CNRY7Q0428"`)
	if got := r.Text("holder CNRY7Q0428 / cnry7q0428"); got != "holder [redacted] / [redacted]" {
		t.Errorf("learned value not scrubbed: %q", got)
	}
}

// Ensure a valid JSON body's free-text strings (msg, msgParams) go through
// the detectors, while numbers and number-like strings under keys that are
// not personal keep their values.
func TestJSONDetectsInStrings(t *testing.T) {
	r := New(DefaultConfig())
	in := `{"code":"10021","msg":"user a@b.cd phone 13977310428 id 110101199003071233 is locked",` +
		`"msgParams":["a@b.cd","13977310428"],"tm":1677654224398,"data":{"orderId":24153319,"price":"22.05",` +
		`"currency":"USDT","symbol":"BTC/USDT","createTime":"1654081061854","positionId":2022122620993}}`
	want := `{"code":"10021","msg":"user [redacted] phone [redacted] id [redacted] is locked",` +
		`"msgParams":["[redacted]","[redacted]"],"tm":1677654224398,"data":{"orderId":24153319,"price":"22.05",` +
		`"currency":"USDT","symbol":"BTC/USDT","createTime":"1654081061854","positionId":2022122620993}}`
	if got := string(r.JSON([]byte(in))); got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

// Ensure each broken-body shape is masked by key as valid JSON would be:
// truncated at 90 %, cut one byte before the end, and cut inside a value.
func TestTolerantBrokenJSON(t *testing.T) {
	full := `{"bizCode":"","code":"0","msg":"Success","data":{"id":1176,"email":"cnry-email@example.test",` +
		`"phone":"13977310428","name":"Cnry Given","firstName":"CnryGiven","idCard":"CNRY7Q04281977",` +
		`"postalCode":"CNRY-7Q42","country":"CN"},"ok":true,"fail":false}`
	secrets := []string{"cnry-email", "13977310428", "Cnry Given", "CnryGiven", "CNRY7Q0428", "CNRY-7Q42"}
	for _, cut := range []int{len(full) * 9 / 10, len(full) - 1, strings.Index(full, "CNRY7Q") + 4} {
		body := full[:cut]
		r := New(DefaultConfig())
		r.LearnBody([]byte(body))
		out := string(r.JSON([]byte(body)))
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(out, s[:4+len(s)/2]) && strings.Contains(body, s) {
				t.Errorf("cut at %d: %q survives in %s", cut, s, out)
			}
		}
		if !strings.Contains(out, `"country":"CN"`) && strings.Contains(body, `"country":"CN"`) {
			t.Errorf("cut at %d: a plain field was masked: %s", cut, out)
		}
	}
}

// Ensure a body that is not JSON is kept as a short scrubbed prefix with its
// length and hash, never split inside a mask, and that a JSON body is kept
// whole.
func TestBodyUndecodable(t *testing.T) {
	r := New(DefaultConfig())
	page := "<html><body><table><tr><td>email</td><td>someone@example.test</td></tr>" +
		strings.Repeat("<p>padding</p>", 1000) + "</table></body></html>"
	out, ok := r.Body([]byte(page))
	if ok {
		t.Fatal("an HTML page reported decodable")
	}
	s := string(out)
	if strings.Contains(s, "someone@") {
		t.Errorf("email survives: %.200s", s)
	}
	if len(out) > MaxUndecodablePrefix+200 {
		t.Errorf("kept %d bytes, want at most the prefix plus one line", len(out))
	}
	if !strings.Contains(s, "[not JSON: "+fmt.Sprint(len(page))+" bytes, sha256:") {
		t.Errorf("no length and hash line: %q", s[len(s)-150:])
	}
	if again := r.Text(s); again != s {
		t.Errorf("the record is not stable under Text:\n%q\n%q", s[len(s)-150:], again[len(again)-150:])
	}
	if j, ok := r.Body([]byte(`{"a":1}`)); !ok || string(j) != `{"a":1}` {
		t.Errorf("JSON body: %q %t", j, ok)
	}
}

// Ensure control and bidi characters are escaped for terminals and shown in
// HTML, and ordinary text, including non-ASCII letters, is untouched.
func TestTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii\n\ttab":              "plain ascii\n\ttab",
		"中文 Ünïcode":                      "中文 Ünïcode",
		"\x1b[2Jclear":                    `\x1b[2Jclear`,
		"a\rfake line":                    `a\x0dfake line`,
		"crlf\r\n":                        "crlf\r\n",
		"rlo\u202eevil\u2066x\u2069":      `rlo\u202eevil\u2066x\u2069`,
		"c1\u009bcsi":                     `c1\u009bcsi`,
		"bad\xffutf8":                     `bad\xffutf8`,
		"del\x7f":                         `del\x7f`,
		"bell\x07 osc \x1b]0;title\x07 .": `bell\x07 osc \x1b]0;title\x07 .`,
	} {
		if got := Terminal(in); got != want {
			t.Errorf("Terminal(%q) = %q, want %q", in, got, want)
		}
	}
	if got := VisibleBidi("a\u202eb\u2067c"); got != "a<U+202E>b<U+2067>c" {
		t.Errorf("VisibleBidi: %q", got)
	}
}

// Ensure a short learned value is scrubbed where it stands alone but not
// from inside a longer token, while long values and overlapping values are
// scrubbed anywhere.
func TestShortLearnedValuesWholeWord(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("str-5", "100000", "13977310428")
	for in, want := range map[string]string{
		"str-5 and str-598":          "[redacted] and str-598",
		"zip 100000, qty 1000000":    "zip [redacted], qty 1000000",
		"call 8613977310428":         "call 86[redacted]",
		`{"remark":"str-598"}`:       `{"remark":"str-598"}`,
		`{"remark":"str-5"}`:         `{"remark":"[redacted]"}`,
		`{"qty":1000000,"z":100000}`: `{"qty":1000000,"z":100000}`,
	} {
		got := r.Text(in)
		if json.Valid([]byte(in)) {
			got = string(r.JSON([]byte(in)))
		}
		if got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

// Ensure a public key in a JSON field keeps its value: it is base64 of
// secret length, but published on purpose.
func TestPublicKeyKept(t *testing.T) {
	r := New(DefaultConfig())
	in := `{"pubKey":"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7Vf3kq9Zt0xYpL2mN4bR8sW1eH6jK5dQ3IDAQAB",` +
		`"note":"secret c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams9PQAB7xQ"}`
	want := `{"pubKey":"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7Vf3kq9Zt0xYpL2mN4bR8sW1eH6jK5dQ3IDAQAB",` +
		`"note":"secret [redacted]"}`
	if got := string(r.JSON([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
