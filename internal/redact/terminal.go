package redact

import (
	"strings"
	"unicode/utf8"
)

// Vendor text reaches terminals and CI logs: a code or a field name holding
// ESC sequences could clear the screen or forge log lines, and a bidi
// control (U+202E RIGHT-TO-LEFT OVERRIDE) reorders what a reader sees. The
// functions here make such characters visible instead.

// isBidi reports whether r is a bidi embedding, override or isolate control
// (U+202A–U+202E, U+2066–U+2069) or an invisible direction mark (U+200E,
// U+200F, U+061C).
func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// Terminal returns s safe to write to a terminal or a log: control
// characters other than tab and newline (and a CR before a newline) become
// \x1b-style escapes, C1 controls and bidi controls become \u202e-style
// escapes, and bytes that are not UTF-8 become \xff-style escapes. Text
// without any of them is returned as is.
func Terminal(s string) string {
	if !needsTerminal(s) {
		return s
	}
	return string(appendTerminal(make([]byte, 0, len(s)+16), s))
}

func needsTerminal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r':
			if i+1 == len(s) || s[i+1] != '\n' {
				return true
			}
		case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
			return true
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r <= 0x9f || isBidi(r) {
				return true
			}
			i += n - 1
		}
	}
	return false
}

// appendTerminal appends the escaped form of s to dst.
func appendTerminal[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && i+1 < len(s) && s[i+1] == '\n', c == '\n', c == '\t', c >= 0x20 && c != 0x7f:
				dst = append(dst, c)
			default:
				dst = appendHex2(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		switch {
		case r == utf8.RuneError && n == 1:
			dst = appendHex2(dst, c)
		case r <= 0x9f || isBidi(r):
			dst = appendHex4(append(dst, '\\', 'u'), r)
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// VisibleBidi returns s with every bidi control shown as "<U+202E>", for
// HTML, where the characters would otherwise reorder the page silently.
func VisibleBidi(s string) string {
	if !strings.ContainsFunc(s, isBidi) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isBidi(r) {
			b.WriteString("<U+")
			b.WriteString(strings.ToUpper(string(appendHex4(nil, r))))
			b.WriteString(">")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func appendHex4(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

func appendHex2(dst []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
}
