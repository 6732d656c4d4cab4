package deploy

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, …
	args string
}

// stage is one FROM and the instructions under it.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile splits a Dockerfile into stages. It knows what this
// repository's Dockerfile uses: comments, `\` continuations, no parser
// directives and no heredocs (both rejected).
func parseDockerfile(src string) ([]stage, error) {
	var stages []stage
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		text := strings.TrimSpace(lines[i])
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, `\`) + " " + strings.TrimSpace(lines[i])
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if strings.Contains(in.args, "<<") {
			return nil, fmt.Errorf("line %d: heredocs are not supported by this check", start)
		}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{image: f[0]}
			switch {
			case len(f) == 3 && strings.EqualFold(f[1], "AS"):
				st.name = f[2]
			case len(f) != 1:
				return nil, fmt.Errorf("line %d: FROM %q: want IMAGE [AS NAME]", start, in.args)
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue // an ARG before FROM only parameterises FROM
			}
			return nil, fmt.Errorf("line %d: %s before the first FROM", start, in.cmd)
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return stages, nil
}

// of returns the stage's instructions of one kind.
func (s stage) of(cmd string) []instruction {
	var out []instruction
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// pinned is a registry image with an explicit tag other than latest, or a
// digest: `golang:1.26`, `gcr.io/distroless/static-debian12:nonroot`.
var pinned = regexp.MustCompile(`^[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$`)

func dockerfile(t *testing.T) []stage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(raw))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return stages
}

// Ensure the Dockerfile builds from pinned, named images only, with cgo
// off, and that its final stage runs the binary, in exec form, as a non-root
// user, with the store's folder as a volume.
func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(stages))
	}
	names := map[string]bool{}
	for _, st := range stages {
		ref := st.image
		switch {
		case names[ref]:
			// an earlier stage of this file
		case strings.Contains(ref, "$"):
			t.Errorf("FROM %s: an image chosen by a build arg is not pinned", ref)
		case !pinned.MatchString(ref) || (!strings.Contains(ref, ":") && !strings.Contains(ref, "@")):
			t.Errorf("FROM %s is not a named image pinned to a tag or digest", ref)
		case strings.HasSuffix(ref, ":latest"):
			t.Errorf("FROM %s: latest is not a pin", ref)
		}
		if st.name != "" {
			names[st.name] = true
		}
	}
	if want := "golang:" + goModVersion(t); stages[0].image != want {
		t.Errorf("build stage FROM %s, want %s (go.mod's go version)", stages[0].image, want)
	}
	build := stages[0]
	cgoOff := false
	for _, in := range build.of("ENV") {
		if strings.Contains(" "+in.args+" ", " CGO_ENABLED=0 ") {
			cgoOff = true
		}
	}
	if !cgoOff {
		t.Error("the build stage does not set ENV CGO_ENABLED=0")
	}
	if len(goBuild(t, build)) == 0 {
		t.Error("the build stage runs no go build")
	}

	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final.image)
	}
	users := final.of("USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER: the image would run as root")
	}
	user, _, _ := strings.Cut(users[len(users)-1].args, ":")
	if user == "root" || user == "0" || (user != "nonroot" && !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(user)) {
		t.Errorf("final USER %q, want a non-zero numeric uid or nonroot", user)
	}
	if final.image == "scratch" && len(filterCopies(final, "ca-certificates")) == 0 {
		t.Error("a scratch image needs the CA certificates copied in")
	}
	entry := final.of("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("%d ENTRYPOINTs in the final stage, want one", len(entry))
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry[0].args), &argv); err != nil || len(argv) != 1 {
		t.Fatalf("ENTRYPOINT %s is not the exec form of the binary alone (no shell in the image): %v", entry[0].args, err)
	}
	copied := false
	for _, in := range final.of("COPY") {
		f := strings.Fields(in.args)
		if strings.HasPrefix(in.args, "--from="+build.name+" ") && f[len(f)-1] == argv[0] && strings.HasSuffix(f[len(f)-2], "/"+filepath.Base(argv[0])) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("ENTRYPOINT %s is not the binary copied from the %s stage", argv[0], build.name)
	}
	vols := final.of("VOLUME")
	if len(vols) != 1 || !strings.Contains(vols[0].args, "/var/lib/mmcontract") {
		t.Errorf("VOLUME %v, want /var/lib/mmcontract for the SQLite store", vols)
	}
	if len(final.of("RUN")) != 0 {
		t.Error("the final stage has a RUN: there is no shell in it")
	}
}

func filterCopies(st stage, substr string) []instruction {
	var out []instruction
	for _, in := range st.of("COPY") {
		if strings.Contains(in.args, substr) {
			out = append(out, in)
		}
	}
	return out
}

// goModVersion is go.mod's go version as a golang image tag: 1.26.0 → 1.26.
func goModVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1])
}

// goBuild returns the build stage's go build command line, split into
// words as the shell would (quotes only: it has no other shell syntax), with
// the stage's ARG defaults expanded.
func goBuild(t *testing.T, st stage) []string {
	t.Helper()
	args := map[string]string{}
	for _, in := range st.body {
		switch in.cmd {
		case "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			args[name] = def
		case "RUN":
			if !strings.HasPrefix(in.args, "go build ") {
				continue
			}
			if strings.ContainsAny(in.args, "&|;`") {
				t.Fatalf("line %d: the go build RUN is more than one command", in.line)
			}
			words, err := shellWords(os.Expand(in.args, func(k string) string { return args[k] }))
			if err != nil {
				t.Fatalf("line %d: %v", in.line, err)
			}
			return words
		}
	}
	return nil
}

func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// Ensure the Dockerfile's own go build command, run here with its flags and
// environment, makes a static binary (no interpreter, no dynamic section: it
// runs on distroless static or scratch) that reports the version it was
// given and the commit it was built from.
func TestDockerfileBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("a full static build of the binary, skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	build := dockerfile(t)[0]
	// The ARG default, replaced the way `--build-arg VERSION=…` does.
	for i, in := range build.body {
		if in.cmd == "ARG" && strings.HasPrefix(in.args, "VERSION") {
			build.body[i].args = "VERSION=v9.8.7-docker-test"
		}
	}
	words := goBuild(t, build)
	out := filepath.Join(t.TempDir(), "mmcontract")
	replaced := false
	for i := range words {
		if words[i] == "-o" && i+1 < len(words) {
			words[i+1], replaced = out, true
		}
	}
	if !replaced || !strings.Contains(strings.Join(words, " "), "-trimpath") {
		t.Fatalf("go build %q: want -o and -trimpath", words)
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Dir = ".." // the Dockerfile's WORKDIR holds the whole repository
	// The golang image sets no GOFLAGS: let a machine's -buildvcs=false not
	// hide what the image's build stamps.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=auto")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(words, " "), err, b)
	}

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is not static", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("the binary has a .dynamic section: it is not static")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) != 0 {
		t.Errorf("the binary imports %v", libs)
	}

	got, err := exec.Command(out, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, got)
	}
	if !strings.HasPrefix(string(got), "mmcontract v9.8.7-docker-test (commit ") {
		t.Errorf("--version printed %q, want the VERSION build arg", got)
	}
	// The commit comes from Go's VCS stamping of the checkout (.git is in the
	// image's build context). A checkout Go cannot stamp (a git worktree, a
	// tarball) has none: then "unknown" is the right answer.
	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rev := ""
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			rev = s.Value
		}
	}
	if rev == "" {
		if !strings.Contains(string(got), "(commit unknown)") {
			t.Errorf("--version printed %q without VCS information, want commit unknown", got)
		}
		t.Log("this checkout gives Go no VCS information (a git worktree?): commit not compared with HEAD")
		return
	}
	if want := "(commit " + rev[:12]; !strings.Contains(string(got), want) {
		t.Errorf("--version printed %q, want %s…", got, want)
	}
}

// Ensure .dockerignore keeps outputs and stores out of the build context
// but keeps .git and every tracked file in, so the stamped commit is the
// checkout's and not marked -dirty.
func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	for _, want := range []string{"out/", "**/*.db"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	files, err := exec.Command("git", "-C", "..", "ls-files").Output()
	if err != nil {
		t.Skipf("no git checkout to compare with: %v", err)
	}
	for _, f := range append(strings.Fields(string(files)), ".git") {
		for _, p := range patterns {
			dir := strings.TrimSuffix(p, "/")
			base := strings.TrimPrefix(p, "**/")
			if m, _ := filepath.Match(dir, f); m || strings.HasPrefix(f, dir+"/") || (base != p && matchBase(base, f)) {
				t.Errorf(".dockerignore pattern %s leaves out %s", p, f)
			}
		}
	}
}

func matchBase(pattern, path string) bool {
	m, _ := filepath.Match(pattern, filepath.Base(path))
	return m
}
