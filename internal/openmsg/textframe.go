package openmsg

import (
	"fmt"
	"strings"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/quote"
)

// AssetFields are the fields of a text frame's first group, in order:
// f(profitLoss,occupyMargin,availableMargin,marginRadio,netWorth,balance);
var AssetFields = [...]string{"profitLoss", "occupyMargin", "availableMargin", "marginRadio", "netWorth", "balance"}

// AssetFrame is a parsed f(…) or g(…) text frame: the account's figures and
// one (positionId, profitLoss) pair per open position. Values are kept as
// the text the vendor sent; Violations judges them.
type AssetFrame struct {
	Frame     string // FrameF or FrameG
	Fields    [len(AssetFields)]string
	Positions []Position
}

// Position is one (positionId,profitLoss) group.
type Position struct{ ID, ProfitLoss string }

// SyntaxError says where a text frame leaves the documented syntax.
type SyntaxError struct {
	Offset int // byte offset in the frame
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("text frame: %s at byte %d", e.Msg, e.Offset)
}

// IsTextFrame reports whether b starts like an f(…) or g(…) frame, the
// only frames of this socket that are not JSON.
func IsTextFrame(b []byte) bool {
	return len(b) >= 2 && (b[0] == 'f' || b[0] == 'g') && b[1] == '('
}

// ParseTextFrame parses f(a,b,c,d,e,f);(id,pnl);(id,pnl);… Every group is
// closed by ";", the first has exactly six fields and each later one two.
// A field may hold any text but the separators; Violations says which
// values are not the decimals the vendor documents. It never panics and
// runs in time linear in len(b).
func ParseTextFrame(b []byte) (AssetFrame, error) {
	var af AssetFrame
	if !IsTextFrame(b) {
		return af, &SyntaxError{0, `want "f(" or "g("`}
	}
	af.Frame = string(b[:1])
	i := 1
	group := func(n int) ([]string, error) {
		if i >= len(b) || b[i] != '(' {
			return nil, &SyntaxError{i, `want "("`}
		}
		i++
		out := make([]string, 0, n)
		start := i
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', ')':
				out = append(out, string(b[start:i]))
				if len(out) > n {
					return nil, &SyntaxError{start, fmt.Sprintf("group has more than %d fields", n)}
				}
				if b[i] == ')' {
					if len(out) != n {
						return nil, &SyntaxError{i, fmt.Sprintf("group has %d fields, want %d", len(out), n)}
					}
					i++
					if i >= len(b) || b[i] != ';' {
						return nil, &SyntaxError{i, `want ";" after ")"`}
					}
					i++
					return out, nil
				}
				start = i + 1
			case '(', ';':
				return nil, &SyntaxError{i, fmt.Sprintf("unexpected %q inside a group", b[i])}
			}
		}
		return nil, &SyntaxError{len(b), "frame ends inside a group"}
	}
	first, err := group(len(AssetFields))
	if err != nil {
		return af, err
	}
	copy(af.Fields[:], first)
	for i < len(b) {
		if b[i] == '\n' && i == len(b)-1 {
			break // a trailing newline is transport noise, not syntax
		}
		p, err := group(2)
		if err != nil {
			return af, err
		}
		af.Positions = append(af.Positions, Position{ID: p[0], ProfitLoss: p[1]})
	}
	return af, nil
}

// JSON renders the frame as {"frame":"f","data":{"tradeType":1,
// "profitLoss":"…",…,"positions":[{"positionId":"…","profitLoss":"…"}]}},
// the form the quote feed's text pushes take too (internal/quote): text
// frames are parsed into objects first so that their data is validated,
// shaped and drift-checked exactly like a JSON frame's.
func (af AssetFrame) JSON() []byte {
	b := make([]byte, 0, 128+48*len(af.Positions))
	b = append(b, `{"frame":`...)
	b = jsontok.AppendString(b, af.Frame)
	b = append(b, `,"data":{"tradeType":`...)
	b = append(b, itoa(TradeTypeOfFrame(af.Frame))...)
	for k, name := range AssetFields {
		b = append(b, ',')
		b = jsontok.AppendString(b, name)
		b = append(b, ':')
		b = jsontok.AppendString(b, af.Fields[k])
	}
	b = append(b, `,"positions":[`...)
	for k, p := range af.Positions {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"positionId":`...)
		b = jsontok.AppendString(b, p.ID)
		b = append(b, `,"profitLoss":`...)
		b = jsontok.AppendString(b, p.ProfitLoss)
		b = append(b, '}')
	}
	return append(b, "]}}"...)
}

// Violations are the values of af that are not what the vendor documents:
// the figures signed decimals (written as the quote feed writes prices, so
// quote.IsDecimal judges both), position ids unsigned integers. Pointers are
// into the object JSON renders (/data/…).
func (af AssetFrame) Violations() []contract.Violation {
	var vs []contract.Violation
	for k, name := range AssetFields {
		if !quote.IsDecimal(af.Fields[k]) {
			vs = append(vs, decimalViolation("/data/"+name, af.Fields[k], "a decimal number"))
		}
	}
	for k, p := range af.Positions {
		at := fmt.Sprintf("/data/positions/%d/", k)
		if !isDigits(p.ID) {
			vs = append(vs, decimalViolation(at+"positionId", p.ID, "an unsigned integer"))
		}
		if !quote.IsDecimal(p.ProfitLoss) {
			vs = append(vs, decimalViolation(at+"profitLoss", p.ProfitLoss, "a decimal number"))
		}
	}
	return vs
}

// maxSeen bounds a seen value (runes) so a hostile frame cannot fill a report.
const maxSeen = 40

// Keyword of a text frame value that breaks the documented number format.
const KeywordDecimal = "decimal"

func decimalViolation(ptr, seen, want string) contract.Violation {
	return contract.Violation{Pointer: ptr, Keyword: KeywordDecimal, Expected: want, Seen: fmt.Sprintf("%q", oneline.Cut(strings.ToValidUTF8(seen, "\uFFFD"), maxSeen)),
		Message: "text frame value is not " + want}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
