package redact

import (
	"bytes"
	"io"
	"sync"
)

// maxPending bounds what a Writer holds back waiting for a newline, so a
// program that never ends its lines (a progress bar, one huge JSON line)
// still has its output delivered.
const maxPending = 64 << 10

// Writer is a line-buffered Text filter for console and log sinks, which
// also escapes control and bidi characters (see Terminal). It holds
// output back until a newline, so a value split across two Write calls is
// still caught, and it also holds back any tail that could be the start of a
// learned value (a multi-line value spans newlines). Call Flush or Close at
// the end of output. It is safe for concurrent use; each Write is appended
// whole.
type Writer struct {
	r *Redactor

	mu      sync.Mutex
	w       io.Writer
	pending []byte
	scratch []byte
	escaped []byte // spare buffer for Terminal escaping
	err     error  // sticky: the first error from w
}

// Writer returns a line-buffered Text filter writing to w. The result is a
// *Writer; call its Flush or Close to write a final unterminated line.
func (r *Redactor) Writer(w io.Writer) io.Writer { return r.NewWriter(w) }

// NewWriter returns a line-buffered Text filter writing to w.
func (r *Redactor) NewWriter(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Write buffers p and writes every complete line, scrubbed, to the
// underlying writer. It reports len(p) unless the underlying writer has
// failed, in which case it returns that error from then on.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.pending = append(w.pending, p...)
	cut := bytes.LastIndexByte(w.pending, '\n') + 1
	if len(w.pending) > maxPending {
		cut = len(w.pending)
	}
	if cut > 0 {
		if err := w.emit(cut, false); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes whatever is buffered, scrubbed, even without a final newline.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if len(w.pending) == 0 {
		return nil
	}
	return w.emit(len(w.pending), true)
}

// Close flushes. It does not close the underlying writer, which the caller
// owns.
func (w *Writer) Close() error { return w.Flush() }

// emit writes pending[:cut] scrubbed and keeps the rest. Unless final, the
// cut is moved back so it never splits a learned value: not one already
// complete in the buffer, nor one the buffer's tail may be starting.
func (w *Writer) emit(cut int, final bool) error {
	spans, partial := scan(w.r.current(), w.pending)
	if !final {
		cut = min(cut, len(w.pending)-partial)
		for _, sp := range spans {
			if sp.start < cut && cut < sp.end {
				cut = sp.start
			}
		}
	}
	if cut <= 0 {
		if len(w.pending) <= 2*maxPending {
			return nil
		}
		// One learned value repeated back to back for megabytes: write it
		// all, masking the possible start of a value at the end too.
		cut = len(w.pending)
		if partial > 0 {
			spans = append(spans, span{len(w.pending) - partial, len(w.pending)})
		}
	}
	keep := spans[:0:0]
	for _, sp := range spans {
		if sp.end <= cut {
			keep = append(keep, sp)
		}
	}
	chunk := w.pending[:cut]
	if d := w.r.keys.detect(string(chunk)); len(d.spans) > 0 {
		w.r.Learn(d.learn...)
		keep = mergeSpans(append(keep, d.spans...))
	}
	w.scratch = replace(w.scratch[:0], chunk, keep)
	out := w.scratch
	if needsTerminal(string(out)) {
		w.escaped = appendTerminal(w.escaped[:0], out)
		out = w.escaped
	}
	if _, err := w.w.Write(out); err != nil {
		w.err = err
		return err
	}
	w.pending = w.pending[:copy(w.pending, w.pending[cut:])]
	return nil
}
