package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// canaryUser is a customer whose every secret and personal value is
// distinctive, so finding any of them (raw, lowercased, or the password's
// MD5) in an artifact proves a leak. The values keep their real types and
// shapes: the redactor must recognise them by key, not by looking odd.
var canaryUser = simUser{
	LoginName:      "cnry7Q-login@example.test",
	Password:       "Cnry7Q-Secret-Pa55word",
	Email:          "cnry7Q-email@example.test",
	Phone:          "13977310428",
	Name:           "CnryGivenName CnryFamilyName",
	FirstName:      "CnryGivenName",
	LastName:       "CnryFamilyName",
	IDCard:         "CNRY7Q04281977",
	PostalCode:     "CNRY-7Q42",
	Address:        "42 Cnryvale Road, Cnrytown",
	BankCardNumber: "6222027731042899731",
	WalletAddress:  "TCnry7QWalletAddr7731042899AbCdEf",
}

// wrongCanaryPassword is a mistyped password: as secret as the right one.
const wrongCanaryPassword = "Cnry7Q-Wrong-Pa55word"

// canaries lists every value that must not reach an output, with a name for
// the failure message.
func canaries(u simUser, extra map[string]string) map[string]string {
	sum := md5.Sum([]byte(u.Password))
	c := map[string]string{
		"loginName": u.LoginName, "password": u.Password, "password md5": hex.EncodeToString(sum[:]),
		"email": u.Email, "phone": u.Phone, "name": u.Name, "firstName": u.FirstName, "lastName": u.LastName,
		"idCard": u.IDCard, "postalCode": u.PostalCode, "address": u.Address, "bankCardNumber": u.BankCardNumber,
		"walletAddress": u.WalletAddress,
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// simProcess is `mmcontract sim` running as its own process.
type simProcess struct {
	base string
	// The sim writes them while the test reads them: both are locked.
	stdout, stderr *syncBuffer
}

// startSim starts `mmcontract sim` on a loopback port and returns its base
// URL once it listens; the process is stopped when the test ends.
func startSim(t testing.TB, args ...string) simProcess {
	t.Helper()
	needBinary(t)
	cmd := exec.Command(binary, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := simProcess{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); <-done; _ = cmd.Wait() })
	br := bufio.NewReader(pipe)
	line, err := br.ReadString('\n')
	_, _ = p.stdout.Write([]byte(line))
	go func() { _, _ = io.Copy(p.stdout, br); close(done) }()
	if err != nil {
		t.Fatalf("reading the sim's banner: %v\n%s", err, p.stderr)
	}
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://127.0.0.1:") {
			p.base = f
		}
	}
	if p.base == "" {
		t.Fatalf("no loopback address in %q", line)
	}
	return p
}

// tokenCatcher records the token of every login response it carries, so the
// test can hand a real session token to `run` as MM_TOKEN.
type tokenCatcher struct{ token string }

func (c *tokenCatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &env) == nil && env.Data.Token != "" {
		c.token = env.Data.Token
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// loginToken logs in to base as u and returns the session token.
func loginToken(t *testing.T, base string, u simUser) string {
	t.Helper()
	tc := &tokenCatcher{}
	cl, err := mmapi.New(mmapi.Config{BaseURL: base, CompanyID: simulator.DefaultCompanyID,
		LoginName: u.LoginName, LoginPassword: u.Password, Timeout: 5 * time.Second}, &http.Client{Transport: tc})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Login(context.Background()); err != nil || tc.token == "" {
		t.Fatalf("canary login: %v (token %t)", err, tc.token != "")
	}
	return tc.token
}

// servedCanaries is the positive control: it proves the simulator really
// serves every canary PII value to the canary login, so a clean grep means
// redaction worked, not that the values were never there.
func servedCanaries(t *testing.T, base string) {
	t.Helper()
	cl, err := mmapi.New(mmapi.Config{BaseURL: base, CompanyID: simulator.DefaultCompanyID,
		LoginName: canaryUser.LoginName, LoginPassword: canaryUser.Password, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var served []byte
	for _, biz := range []string{"customer.app.CustomerWebApiService.findCustomerInfo",
		"customer.app.WithdrawBankWebApiService.bankList", "customer.app.CustomerWalletWebApiService.walletList"} {
		ex, err := cl.Call(context.Background(), mmapi.Operation{Family: mmapi.FamilyClient, BizType: biz}, map[string]any{})
		if err != nil {
			t.Fatalf("positive control %s: %v", biz, err)
		}
		served = append(served, ex.Body...)
	}
	for name, v := range canaries(canaryUser, nil) {
		switch name {
		case "password", "password md5", "loginName":
			continue // credentials are sent, not served
		}
		if !bytes.Contains(served, []byte(v)) {
			t.Errorf("positive control: the simulator does not serve the canary %s (%q); the grep would prove nothing", name, v)
		}
	}
}

// webhookSink is a loopback alert receiver that keeps every payload.
type webhookSink struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var hdr bytes.Buffer
	_ = r.Header.Write(&hdr)
	s.mu.Lock()
	s.payloads = append(s.payloads, append(hdr.Bytes(), b...))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Ensure no canary secret or PII value the simulator serves, nor the canary
// credentials, reaches any file written, any alert payload, the monitor's web
// pages, or the console, across nominal, broken, drifted and fault runs,
// baseline accept, the HTML report with every body, and a short monitor.
func TestCanaryNoLeak(t *testing.T) {
	secretDir := t.TempDir() // holds the users file, the only place canaries may be
	usersFile := filepath.Join(secretDir, "users.json")
	raw, err := json.Marshal([]simUser{canaryUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(usersFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir() // every artifact goes under here
	baselines := filepath.Join(work, "baselines")
	var console []string // every stdout and stderr, labelled
	record := func(what string, r runResult) {
		console = append(console, what+" stdout\x00"+r.stdout, what+" stderr\x00"+r.stderr)
	}
	tokens := map[string]string{}

	// Nominal first, accepted as the baseline, so the later runs compare
	// against it and drift reports carry the values seen.
	// Then the shapes that leaked before the redactor learned from every
	// response and had detectors: bodies that are not JSON but quote the
	// profile, a vendor msg quoting it, and vendor text that controls a
	// terminal.
	for i, sc := range []string{"nominal", "removed-field", "added-field", "waf-403", "non-json",
		"truncated-90", "cut-near-end", "over-cap-profile", "html-profile", "msg-pii", "hostile-code", "hostile-field"} {
		sim := startSim(t, "--users", usersFile, "--scenario", sc)
		common := []string{"MM_BASE_URL=" + sim.base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID}
		creds := map[string][]string{
			"login": {"MM_LOGIN_NAME=" + canaryUser.LoginName, "MM_LOGIN_PASSWORD=" + canaryUser.Password},
		}
		if sc == "nominal" {
			servedCanaries(t, sim.base)
			// Login by phone, the other personal login name.
			creds["phone"] = []string{"MM_LOGIN_TYPE=2", "MM_PHONE_AREA=+86", "MM_LOGIN_NAME=" + canaryUser.Phone,
				"MM_LOGIN_PASSWORD=" + canaryUser.Password}
			// A rejected login is reported with the vendor's words: still
			// no credentials (the wrong password is a canary too).
			r := mmcontract(t, append(common, "MM_LOGIN_NAME="+canaryUser.LoginName, "MM_LOGIN_PASSWORD="+wrongCanaryPassword),
				"run", "--out", filepath.Join(work, "rejected"), "--label-filter", "smoke")
			record("rejected login", r)
			if r.code != verdict.ExitUsage {
				t.Errorf("rejected login: exit %d, want 2\n%s", r.code, r.stderr)
			}
		}
		if sc == "nominal" || sc == "removed-field" {
			tok := loginToken(t, sim.base, canaryUser)
			tokens["token "+sc] = tok
			creds["token"] = []string{"MM_TOKEN=" + tok}
		}
		for _, mode := range []string{"login", "phone", "token"} {
			if creds[mode] == nil {
				continue
			}
			out := filepath.Join(work, sc+"-"+mode)
			args := []string{"run", "--out", out, "--label-filter", "findCustomerInfo || bankList || walletList || login",
				"--timeout", "3s", "--retries", "0", "--flake-attempts", "1"}
			if i > 0 {
				args = append(args, "--baseline", baselines)
			}
			if sc == "removed-field" && mode == "login" {
				args = append(args, "-v") // Ginkgo's own reporter on the console too
			}
			r := mmcontract(t, append(common, creds[mode]...), args...)
			record(sc+"/"+mode+" run", r)
			if r.code == verdict.ExitUsage || strings.Contains(r.stderr, "panic") {
				t.Fatalf("%s/%s: exit %d\n%s", sc, mode, r.code, r.stderr)
			}
			res := readResults(t, out)
			t.Logf("%s/%s: verdict %s, exit %d, %d checks", sc, mode, res.Verdict, r.code, len(res.Checks))
			if sc == "nominal" && res.Verdict != verdict.Pass {
				t.Fatalf("nominal/%s: verdict %s\n%s", mode, res.Verdict, r.stdout)
			}
			if sc == "nominal" && mode == "login" {
				r = mmcontract(t, nil, "baseline", "accept", "--from", out, "--baseline", baselines)
				record("baseline accept", r)
				if r.code != 0 {
					t.Fatalf("baseline accept: exit %d\n%s", r.code, r.stderr)
				}
			}
			r = mmcontract(t, nil, "report", "--from", out, "--html-bodies", "all")
			record(sc+"/"+mode+" report", r)
			if r.code != 0 {
				t.Fatalf("report --html-bodies all: exit %d\n%s", r.code, r.stderr)
			}
		}
		console = append(console, sc+" sim stdout\x00"+sim.stdout.String(), sc+" sim stderr\x00"+sim.stderr.String())
	}

	hooks := &webhookSink{}
	if r := mmcontract(t, nil, "monitor", "--help"); r.code == 0 || strings.Contains(r.stderr, "-config") {
		pages := runCanaryMonitor(t, work, usersFile, hooks)
		for name, body := range pages {
			console = append(console, "monitor page "+name+"\x00"+body)
		}
		// What the history command shows of the store, in both formats.
		for _, format := range []string{"text", "json"} {
			r := mmcontract(t, nil, "history", "--store", filepath.Join(work, "monitor", "history.db"), "--format", format)
			record("history "+format, r)
			if r.code != 0 || r.stdout == "" {
				t.Errorf("history --format %s: exit %d, stdout %d bytes\n%s", format, r.code, len(r.stdout), r.stderr)
			}
		}
	} else {
		t.Logf("no monitor command in this build: skipped the monitor part (exit %d)", r.code)
	}

	wrongSum := md5.Sum([]byte(wrongCanaryPassword))
	tokens["wrong password"], tokens["wrong password md5"] = wrongCanaryPassword, hex.EncodeToString(wrongSum[:])
	all := canaries(canaryUser, tokens)
	find := func(b []byte) (hits []string) {
		lower := bytes.ToLower(b)
		for name, v := range all {
			for _, f := range canaryForms(v) {
				hay := b
				if f.fold {
					hay = lower
				}
				if i := bytes.Index(hay, []byte(f.text)); i >= 0 {
					lo, hi := max(0, i-80), min(len(b), i+len(f.text)+80)
					hits = append(hits, fmt.Sprintf("%s (%s): …%q…", name, f.form, b[lo:hi]))
					break
				}
			}
		}
		return hits
	}
	// The detector must see what it looks for: the users file holds every
	// canary PII value and the credentials (not the MD5 or the tokens).
	if hits := find(raw); len(hits) != len(all)-1-len(tokens) {
		t.Fatalf("the detector finds %d canaries in the users file, want %d: %q", len(hits), len(all)-1-len(tokens), hits)
	}
	check := func(where string, b []byte) {
		for _, h := range find(b) {
			t.Errorf("%s leaks the canary %s", where, h)
		}
	}
	files := 0
	sawBidi := false
	err = filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(work, path)
		check(rel, b)
		switch filepath.Base(path) {
		case "run.log":
			checkTerminal(t, rel, b)
		case "report.html":
			if bytes.ContainsAny(b, bidiControls) {
				t.Errorf("%s shows a raw bidi control", rel)
			}
			sawBidi = sawBidi || bytes.Contains(b, []byte("&lt;U+202E&gt;"))
		}
		return nil
	})
	if !sawBidi {
		t.Error("no report.html shows the hostile field's U+202E as <U+202E>: the hostile scenarios proved nothing")
	}
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Errorf("only %d files written; the test did not exercise the outputs", files)
	}
	sawEscape := false
	for _, c := range console {
		name, body, _ := strings.Cut(c, "\x00")
		check(name, []byte(body))
		if !strings.HasPrefix(name, "monitor page") {
			checkTerminal(t, name, []byte(body))
		}
		sawEscape = sawEscape || strings.Contains(body, `\x1b[2J`)
	}
	if !sawEscape {
		t.Error(`no console shows the hostile code's ESC as \x1b: the hostile scenarios proved nothing`)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	for i, p := range hooks.payloads {
		check("webhook payload "+string(rune('0'+i%10)), p)
	}
	t.Logf("checked %d files, %d console streams, %d webhook payloads for %d canaries", files, len(console), len(hooks.payloads), len(all))
}

// bidiControls are the characters that reorder text: U+202A–U+202E and
// U+2066–U+2069.
const bidiControls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

// checkTerminal fails when text meant for a terminal or a log carries a raw
// control character (other than tab, newline and CR) or bidi control.
func checkTerminal(t *testing.T, where string, b []byte) {
	t.Helper()
	for i, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			t.Errorf("%s carries the raw control byte %#x: …%q…", where, c, b[max(0, i-40):min(len(b), i+40)])
			return
		}
	}
	if i := bytes.IndexAny(b, bidiControls); i >= 0 {
		t.Errorf("%s carries a raw bidi control: …%q…", where, b[max(0, i-40):min(len(b), i+40)])
	}
}

// canaryForm is one spelling of a canary to look for; fold means
// case-insensitive.
type canaryForm struct {
	form, text string
	fold       bool
}

// canaryForms are the spellings in which a leaked value could show up: raw,
// URL-encoded, base64 and as its MD5.
func canaryForms(v string) []canaryForm {
	sum := md5.Sum([]byte(v))
	return []canaryForm{
		{"raw", strings.ToLower(v), true},
		{"url-encoded", strings.ToLower(url.QueryEscape(v)), true},
		{"path-encoded", strings.ToLower(url.PathEscape(v)), true},
		{"base64", base64.RawStdEncoding.EncodeToString([]byte(v)), false},
		{"base64url", base64.RawURLEncoding.EncodeToString([]byte(v)), false},
		{"md5", hex.EncodeToString(sum[:]), true},
	}
}

// runCanaryMonitor runs `mmcontract monitor` for about three seconds against a
// broken canary simulator with a webhook receiver, and returns its web pages.
func runCanaryMonitor(t *testing.T, work, usersFile string, hooks *webhookSink) map[string]string {
	t.Helper()
	sim := startSim(t, "--users", usersFile, "--scenario", "removed-field")
	msgSim := startSim(t, "--users", usersFile, "--scenario", "msg-pii") // alerts quote the vendor msg
	hook := httptest.NewServer(hooks)
	t.Cleanup(hook.Close)
	dir := filepath.Join(work, "monitor")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `listen: 127.0.0.1:0
store: ` + filepath.Join(dir, "history.db") + `
targets:
  canary:
    base_url: ` + sim.base + `
    company_id: "` + simulator.DefaultCompanyID + `"
    login_name: ${MM_LOGIN_NAME}
    login_password: ${MM_LOGIN_PASSWORD}
  canarymsg:
    base_url: ` + msgSim.base + `
    company_id: "` + simulator.DefaultCompanyID + `"
    login_name: ${MM_LOGIN_NAME}
    login_password: ${MM_LOGIN_PASSWORD}
jobs:
  - name: canary
    target: canary
    schedule: "@every 1s"
    label_filter: "findCustomerInfo && !negative"
    timeout: 20s
    flake_attempts: 1
    request_timeout: 3s
    baseline: ` + filepath.Join(work, "baselines") + `
  - name: canarymsg
    target: canarymsg
    schedule: "@every 1s"
    label_filter: "findCustomerInfo && !negative"
    timeout: 20s
    flake_attempts: 1
    request_timeout: 3s
alerting:
  unavailable_after: 1
  receivers:
    - name: hook
      type: webhook
      url: ` + hook.URL + `
      secret: hook-secret
  routes:
    - receiver: hook
`
	cfgPath := filepath.Join(t.TempDir(), "monitor.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	needBinary(t)
	cmd := exec.Command(binary, "monitor", "--config", cfgPath, "--grace", "5s")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"MM_LOGIN_NAME=" + canaryUser.LoginName, "MM_LOGIN_PASSWORD=" + canaryUser.Password}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr, stdout bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(pipe)
	line, _ := br.ReadString('\n')
	stdout.WriteString(line)
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&stdout, br); close(copied) }()
	var addr string
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://127.0.0.1:") {
			addr = f
		}
	}
	pages := map[string]string{}
	time.Sleep(3500 * time.Millisecond)
	if addr != "" {
		get := func(p string) {
			resp, err := http.Get(addr + p)
			if err != nil {
				t.Errorf("monitor %s: %v", p, err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			pages[p] = string(b)
		}
		for _, p := range []string{"/", "/metrics", "/healthz", "/history"} {
			get(p)
		}
		// Every run's served files: the report the monitor renders on request.
		ids := map[string]bool{}
		for _, m := range regexp.MustCompile(`/runs/([0-9]{8}T[0-9]{6}Z-[0-9a-f]{8})/`).FindAllStringSubmatch(pages["/"]+pages["/history"], -1) {
			ids[m[1]] = true
		}
		for id := range ids {
			get("/runs/" + id + "/report.html")
			get("/runs/" + id + "/results.json")
		}
		if len(ids) == 0 {
			t.Errorf("the monitor's pages link no run: the served reports went unchecked\n%s", pages["/"])
		}
	} else {
		t.Errorf("monitor printed no loopback address: %q\n%s", line, stderr.String())
	}
	_ = cmd.Process.Signal(os.Interrupt)
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Errorf("monitor did not stop cleanly: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("monitor panicked:\n%s", stderr.String())
	}
	hooks.mu.Lock()
	n := len(hooks.payloads)
	hooks.mu.Unlock()
	if n == 0 {
		t.Errorf("the broken canary target raised no webhook alert in ~3s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	pages["stdout"], pages["stderr"] = stdout.String(), stderr.String()
	return pages
}
