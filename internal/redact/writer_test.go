package redact

import (
	"errors"
	"strings"
	"testing"
)

// Ensure the Writer catches a value split across Write calls, holds an
// unterminated line until Flush, and never splits a learned value that
// spans a newline.
func TestWriterSplitValues(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("split-CANARY-value", "multi\nline-CANARY")
	var out strings.Builder
	w := r.NewWriter(&out)
	for _, chunk := range []string{"first split-CAN", "ARY-value here\nsecond multi\n", "line-CANARY end\nno newline split-", "CANARY-value"} {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if strings.Contains(out.String(), "no newline") {
		t.Fatal("unterminated line written before Flush")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "first [redacted] here\nsecond [redacted] end\nno newline [redacted]"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}

// Ensure a line longer than the pending limit is still delivered, scrubbed,
// without waiting for a newline.
func TestWriterLongLine(t *testing.T) {
	r := New(DefaultConfig())
	r.Learn("long-CANARY")
	var out strings.Builder
	w := r.Writer(&out)
	chunk := strings.Repeat("x", 1000) + "long-CAN"
	for i := 0; i < 100; i++ {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("ARY ")); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() == 0 {
		t.Fatal("nothing delivered past the pending limit")
	}
	if err := w.(*Writer).Flush(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Contains(s, "CAN") || strings.Count(s, textMask) != 100 {
		t.Fatalf("long line mis-scrubbed: %d masks", strings.Count(s, textMask))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Ensure an error from the underlying writer is returned and sticks.
func TestWriterError(t *testing.T) {
	w := New(DefaultConfig()).NewWriter(failWriter{})
	if _, err := w.Write([]byte("a\n")); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
	if _, err := w.Write([]byte("b\n")); err == nil {
		t.Fatal("error not sticky")
	}
	if err := w.Flush(); err == nil {
		t.Fatal("Flush after failure returned nil")
	}
}

// Ensure console and log output has vendor control and bidi characters
// escaped and detected personal values masked, while its own newlines and
// tabs pass.
func TestWriterTerminalSafe(t *testing.T) {
	r := New(DefaultConfig())
	var out strings.Builder
	w := r.NewWriter(&out)
	_, _ = w.Write([]byte("code=\"\x1b[2J\u202e5\"\tmsg=user a@b.cd phone 13977310428\nnext\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "code=\"\\x1b[2J\\u202e5\"\tmsg=user [redacted] phone [redacted]\nnext\r\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}
