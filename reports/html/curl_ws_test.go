package html

import (
	"strings"
	"testing"
)

// Ensure a websocket exchange is reproduced with websocat sending its
// frame, never as a curl POST to a ws:// URL.
func TestWebsocatCommand(t *testing.T) {
	cmd, vars := websocatCommand("ws://127.0.0.1:1/apiQuote/quote_guest", `{"cmd_id":14008,"seq_id":1,"ext":"e","data":{}}`)
	if !strings.HasSuffix(cmd, "| websocat ws://127.0.0.1:1/apiQuote/quote_guest") || !strings.HasPrefix(cmd, `printf '%s\n' `) || !strings.Contains(cmd, `"cmd_id":14008`) || len(vars) != 0 {
		t.Fatalf("command %q, vars %v", cmd, vars)
	}
	if !isWebsocket("wss://x/y") || isWebsocket("https://x/y") {
		t.Fatal("isWebsocket")
	}
}
