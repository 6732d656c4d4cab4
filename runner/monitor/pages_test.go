package monitor

import "testing"

// Ensure the embedded page templates parse (they are parsed on the first
// page served, not at start) and define the pages the web UI serves.
func TestPagesParse(t *testing.T) {
	for _, name := range []string{"index.html.tmpl", "history.html.tmpl", "layout.html.tmpl"} {
		if pages().Lookup(name) == nil {
			t.Errorf("no template %s", name)
		}
	}
}
