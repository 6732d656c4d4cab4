package specdiff

import (
	"bufio"
	"fmt"
	"io"
)

// WriteText renders the report for people: one line per change, grouped
// under its operation, then a summary line. An invalid spec is one line per
// reason instead.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if !r.OldValid {
		fmt.Fprintf(bw, "old spec invalid: %s\n", r.OldReason)
	}
	if !r.NewValid {
		fmt.Fprintf(bw, "new spec invalid: %s\n", r.NewReason)
	}
	if !r.Valid() {
		fmt.Fprintln(bw, "no comparison made")
		return bw.Flush()
	}
	op := ""
	for _, c := range r.Changes {
		if c.Operation != op {
			op = c.Operation
			fmt.Fprintln(bw, op)
		}
		fmt.Fprintf(bw, "  %-8s %-9s %-15s %s%s\n", c.Severity, c.Location, c.Change, pointerText(c), detail(c))
	}
	fmt.Fprintf(bw, "summary: %s\n", r.Summary)
	return bw.Flush()
}

func pointerText(c Change) string {
	if c.Location == LocationOperation {
		return "-"
	}
	if c.Pointer == "" {
		return "(body)"
	}
	return c.Pointer
}

func detail(c Change) string {
	switch {
	case c.Old != "" && c.New != "":
		return fmt.Sprintf("  %s -> %s", c.Old, c.New)
	case c.New != "":
		return "  " + c.New
	case c.Old != "":
		return "  was " + c.Old
	}
	return ""
}
