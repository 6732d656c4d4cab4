package drift

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// BaselineError is a baseline file that cannot be used: unreadable, not JSON,
// or inconsistent. The CLI treats it as a configuration error (exit 2): a run
// must not compare against a baseline it misread.
type BaselineError struct {
	Path string
	Err  error
}

// Error names the file first, so the CLI can print it as is.
func (e *BaselineError) Error() string { return "baseline " + e.Path + ": " + e.Err.Error() }

// Unwrap exposes the cause, e.g. fs.ErrNotExist.
func (e *BaselineError) Unwrap() error { return e.Err }

// Key names an operation in the maps AcceptInto and ReadAll use:
// "<family>/<bizType>", e.g. "client/customer.app.CustomerWebApiService.findCustomerInfo".
// A bizType the vendor publishes as a plain path (auth2/code) has its "/"
// written "_", as schemas.FileName names its schema file, so that its
// baseline is one file in the family's directory (auth2/auth2_code.json).
func Key(family, bizType string) string { return family + "/" + strings.ReplaceAll(bizType, "/", "_") }

// SplitKey splits a Key into family and bizType, rejecting anything that is
// not a safe pair of path elements.
func SplitKey(key string) (family, bizType string, err error) {
	family, bizType, ok := strings.Cut(key, "/")
	if !ok {
		return "", "", fmt.Errorf("operation key %q: want <family>/<bizType>", key)
	}
	if err := checkElem("family", family); err != nil {
		return "", "", fmt.Errorf("operation key %q: %w", key, err)
	}
	if err := checkElem("bizType", bizType); err != nil {
		return "", "", fmt.Errorf("operation key %q: %w", key, err)
	}
	return family, bizType, nil
}

// checkElem keeps family and bizType single, harmless path elements: they come
// from reports and must never write outside the baseline directory.
func checkElem(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.HasPrefix(s, ".") {
		return fmt.Errorf("%s %q starts with a dot", what, s)
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%s %q contains %q; only letters, digits, '.', '_' and '-' are allowed", what, s, c)
		}
	}
	return nil
}

// BaselinePath is the file holding the baseline of one operation:
// <dir>/<family>/<bizType>.json.
func BaselinePath(dir, family, bizType string) (string, error) {
	if err := checkElem("family", family); err != nil {
		return "", err
	}
	if err := checkElem("bizType", bizType); err != nil {
		return "", err
	}
	return filepath.Join(dir, family, bizType+".json"), nil
}

// ReadBaseline reads the baseline of one operation. found is false, with no
// error, when the operation has no baseline file yet; a file that exists but
// cannot be used is a *BaselineError.
func ReadBaseline(dir, family, bizType string) (s Shape, found bool, err error) {
	path, err := BaselinePath(dir, family, bizType)
	if err != nil {
		return Shape{}, false, fmt.Errorf("baseline for %s/%s: %w", family, bizType, err)
	}
	s, err = ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Shape{}, false, nil
	}
	if err != nil {
		return Shape{}, false, err
	}
	return s, true, nil
}

// ReadFile reads and validates one baseline file. Errors are *BaselineError;
// a missing file also matches fs.ErrNotExist.
func ReadFile(path string) (Shape, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Shape{}, &BaselineError{Path: path, Err: err}
	}
	s, err := Parse(data)
	if err != nil {
		return Shape{}, &BaselineError{Path: path, Err: err}
	}
	return s, nil
}

// Parse decodes and validates the bytes of a baseline file (or any shape in
// its JSON form).
func Parse(data []byte) (Shape, error) {
	var s Shape
	if err := s.UnmarshalJSON(data); err != nil {
		return Shape{}, err
	}
	return s, nil
}

// ReadAll reads every baseline under dir, keyed by Key(family, bizType).
// Files not ending in .json are ignored so a README can live beside them.
// A missing dir is an empty set of baselines.
func ReadAll(dir string) (map[string]Shape, error) {
	out := map[string]Shape{}
	families, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read baselines: %w", err)
	}
	for _, fam := range families {
		if !fam.IsDir() || strings.HasPrefix(fam.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, fam.Name()))
		if err != nil {
			return nil, fmt.Errorf("read baselines: %w", err)
		}
		for _, f := range files {
			biz, ok := strings.CutSuffix(f.Name(), ".json")
			if !ok || f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			s, err := ReadFile(filepath.Join(dir, fam.Name(), f.Name()))
			if err != nil {
				return nil, err
			}
			out[Key(fam.Name(), biz)] = s
		}
	}
	return out, nil
}

// WriteFile writes s as a baseline file, atomically: readers see the old file
// or the new one, never a mix.
func WriteFile(path string, s Shape) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, Format(s), 0o644)
}

// AcceptInto merges observed shapes, keyed by Key(family, bizType), into the
// baselines under dir, creating files and directories as needed. It returns
// the files it wrote, sorted. Every existing baseline involved is read and
// validated before anything is written, so a malformed file aborts the
// accept without leaving it half applied.
func AcceptInto(dir string, observed map[string]Shape) (changedFiles []string, err error) {
	keys := make([]string, 0, len(observed))
	for k := range observed {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	type pending struct {
		path string
		data []byte
	}
	var writes []pending
	for _, k := range keys {
		family, bizType, err := SplitKey(k)
		if err != nil {
			return nil, fmt.Errorf("accept baseline: %w", err)
		}
		obs := observed[k]
		if err := obs.Validate(); err != nil {
			return nil, fmt.Errorf("accept baseline: observed shape of %s: %w", k, err)
		}
		if obs.Samples == 0 {
			continue // nothing was observed; do not create an empty baseline
		}
		path, _ := BaselinePath(dir, family, bizType) // SplitKey validated both elements
		old, err := os.ReadFile(path)
		var merged Shape
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, &BaselineError{Path: path, Err: err}
		default:
			if merged, err = Parse(old); err != nil {
				return nil, &BaselineError{Path: path, Err: err}
			}
		}
		merged.Merge(obs)
		data := Format(merged)
		if bytes.Equal(data, old) {
			continue
		}
		writes = append(writes, pending{path: path, data: data})
	}
	for _, w := range writes {
		if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err != nil {
			return changedFiles, fmt.Errorf("accept baseline: %w", err)
		}
		if err := atomicfile.Write(w.path, w.data, 0o644); err != nil {
			return changedFiles, fmt.Errorf("accept baseline: %w", err)
		}
		changedFiles = append(changedFiles, w.path)
	}
	return changedFiles, nil
}

// Format renders s in the baseline file form: one line per pointer, sorted
// pointers, members in alphabetical order, two-space indentation and a
// trailing newline. A review of an accepted baseline then shows exactly the
// pointers whose facts changed.
func Format(s Shape) []byte { return FormatSorted(s, s.Pointers()) }

// FormatSorted is Format for a caller that holds s.Pointers() already.
func FormatSorted(s Shape, pointers []string) []byte {
	return formatFields(len(pointers), func(i int) (string, Field) { return pointers[i], s.Fields[pointers[i]] },
		s.OKCodes, s.Samples)
}

// formatFields writes a shape's file form from its fields in sorted order,
// at(i) being the i-th of n. It appends to one buffer sized for the usual
// field, and writes each type set from a table: a run formats every
// response's shape.
func formatFields(n int, at func(i int) (string, Field), okCodes []string, samples int) []byte {
	size := 96
	for i := range n {
		p, f := at(i)
		size += len(p) + 60 + 12*len(f.Values) // the usual field: `"seen": 1, "types": ["string"]`
	}
	b := make([]byte, 0, size)
	b = append(b, "{\n  \"fields\": {"...)
	for i := range n {
		p, f := at(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = jsontok.AppendString(b, p)
		b = append(b, ": {"...)
		if f.Objects > 0 {
			b = append(b, `"objects": `...)
			b = strconv.AppendInt(b, int64(f.Objects), 10)
			b = append(b, ", "...)
		}
		b = append(b, `"seen": `...)
		b = strconv.AppendInt(b, int64(f.Seen), 10)
		b = append(b, `, "types": `...)
		b = append(b, typesJSON(f.Types)...)
		if vs := f.Values; len(vs) > 0 {
			if len(vs) > 1 {
				vs = sortedValues(vs)
			}
			b = append(b, `, "values": `...)
			b = appendStrings(b, vs)
		}
		if f.ValuesDropped {
			b = append(b, `, "valuesDropped": true`...)
		}
		b = append(b, '}')
	}
	if n > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "},\n"...)
	if codes := sortedValues(okCodes); len(codes) > 0 {
		b = append(b, `  "okCodes": `...)
		b = appendStrings(b, codes)
		b = append(b, ",\n"...)
	}
	b = append(b, `  "samples": `...)
	b = strconv.AppendInt(b, int64(samples), 10)
	b = append(b, ",\n  \"version\": "...)
	b = strconv.AppendInt(b, FormatVersion, 10)
	return append(b, "\n}\n"...)
}

// typesTable holds the file form of every TypeSet, made on first use.
var typesTable = sync.OnceValue(func() *[1 << 7]string { // every subset of the 7 types
	t := new([1 << 7]string)
	for i := range t {
		t[i] = string(appendStrings(nil, TypeSet(i).Names()))
	}
	return t
})

// typesJSON is the file form of a TypeSet: its names in canonical order,
// "[]" for none.
func typesJSON(t TypeSet) string {
	if int(t) >= len(typesTable()) {
		return string(appendStrings(nil, t.Names()))
	}
	return typesTable()[t]
}

// appendStrings appends ss as a JSON array in the file form's spacing, each
// string by the project's one string encoder (no HTML escaping, which would
// only make pointers harder to read).
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = jsontok.AppendString(b, s)
	}
	return append(b, ']')
}
