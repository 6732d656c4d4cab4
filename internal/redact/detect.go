package redact

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Detectors find personal values and secrets in free text by their shape or
// by the word in front of them, with no prior knowledge: a vendor msg that
// quotes a customer's e-mail, an error page echoing a profile, a body cut in
// the middle of a value. They are tuned for few false positives, because
// reports are read by people: order ids, millisecond timestamps, prices,
// currency codes, symbols (BTC/USDT), trace ids and our own 32-hex drift
// fingerprints have none of the shapes below and survive.
//
//   - e-mail addresses (also with "@" URL-encoded as %40);
//   - phone numbers: "+" and 8-15 digits, or a Chinese mobile (11 digits, 1[3-9]…);
//   - payment cards: 13-19 digits with an issuer prefix and a valid Luhn sum;
//   - Chinese resident ID numbers: 18 characters, a valid birth date and check digit;
//   - any digit-bearing token right after a word that names it ("phone", "ID number", "passport", …);
//   - JWTs, and the credential after "Bearer";
//   - hex runs of 40 or more and base64 runs of 40 or more that look random;
//   - `"key": value` and `key=value` pairs under a sensitive key, tolerating a
//     body cut anywhere (see kvSpans).
//
// Values a detector finds are learned, so their other spellings elsewhere are
// scrubbed too.

// detection is what the detectors found in one text.
type detection struct {
	spans []span   // unsorted, may overlap
	learn []string // values to remember
}

func (d *detection) add(s string, start, end int, learn bool) {
	if start >= end {
		return
	}
	d.spans = append(d.spans, span{start, end})
	if learn {
		d.learn = append(d.learn, s[start:end])
	}
}

// detect runs every detector over s.
func (ks *keySet) detect(s string) detection {
	var d detection
	if !mayDetect(s) {
		return d
	}
	shapeSpans(s, &d)
	ks.kvSpans(s, &d)
	contextSpans(s, &d)
	return d
}

// mayDetect is a cheap filter: a text with none of the bytes any detector
// starts from ('@', '%', a digit, '=', ':', a run long enough for a token)
// needs no closer look. Most JSON string values ("USD", "Success") stop here.
func mayDetect[T string | []byte](s T) bool {
	if len(s) >= 40 {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@', c == '%', c == '=', c == ':', c >= '0' && c <= '9':
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isB64(c byte) bool   { return isAlnum(c) || c == '+' || c == '/' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }
func isB64URL(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_'
}

// shapeSpans finds values by their shape: e-mail, digit runs, JWT, bearer,
// hex and base64.
func shapeSpans(s string, d *detection) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '@':
			i = email(s, i, i+1, d)
		case c == '%' && i+2 < len(s) && s[i+1] == '4' && s[i+2] == '0':
			i = email(s, i, i+3, d)
		case c == 'e' && strings.HasPrefix(s[i:], "eyJ") && (i == 0 || !isB64URL(s[i-1])):
			i = jwt(s, i, d)
		case (c == 'b' || c == 'B') && (i == 0 || !isAlnum(s[i-1])) && len(s)-i > 7 && strings.EqualFold(s[i:i+7], "bearer "):
			i = bearer(s, i+7, d)
		case isB64(c):
			if i == 0 || !isB64(s[i-1]) {
				if end, ok := b64Run(s, i, d); ok {
					i = end
					continue
				}
			}
			if isDigit(c) && (i == 0 || !isAlnum(s[i-1]) && s[i-1] != '.') {
				i = digitRun(s, i, d)
			}
		}
	}
}

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// email checks for an address around the '@' at s[at:rest] and returns
// where the scan goes on.
func email(s string, at, rest int, d *detection) int {
	start := at
	for start > 0 && isLocal(s[start-1]) {
		start--
	}
	for start < at && s[start] == '.' {
		start++
	}
	end := rest
	for end < len(s) && (isAlnum(s[end]) || s[end] == '.' || s[end] == '-') {
		end++
	}
	for end > rest && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	if start == at || end == rest {
		return at
	}
	dom := s[rest:end]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 || strings.Contains(dom, "..") {
		return at
	}
	tld := dom[dot+1:]
	if len(tld) < 2 {
		return at
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return at
		}
	}
	d.add(s, start, end, true)
	return end - 1
}

// digitRun looks at the number starting at s[i]: digit groups joined by
// single spaces or hyphens ("6222 0277 3104", "139-7731-0428"). A number
// that is part of a word ("v2", "CN439") or a decimal (a price) is skipped.
func digitRun(s string, i int, d *detection) int {
	var buf [24]byte
	digits := buf[:0]
	j, groups, short := i, 0, false
	for {
		g := j
		for j < len(s) && isDigit(s[j]) {
			if len(digits) < cap(buf) {
				digits = append(digits, s[j])
			}
			j++
		}
		if groups > 0 && j-g < 3 {
			short = true
		}
		groups++
		if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	end := j
	if groups == 1 && len(digits) == 17 && end < len(s) && s[end]|0x20 == 'x' && (end+1 == len(s) || !isAlnum(s[end+1])) &&
		isCNID(append(digits, 'X')) {
		d.add(s, i, end+1, true) // an ID number whose check character is X
		return end
	}
	if end < len(s) && (isAlpha(s[end]) || s[end] == '.' && end+1 < len(s) && isDigit(s[end+1])) {
		for end < len(s) && (isAlnum(s[end]) || s[end] == '.') {
			end++
		}
		return end - 1 // "1677654224398ms", "12.50": not a personal number
	}
	if short { // "1 2 3 4": counts in prose, not one number
		return i
	}
	n := len(digits)
	plus := i > 0 && s[i-1] == '+'
	switch {
	case plus && n >= 8 && n <= 15:
		d.add(s, i-1, end, true)
	case groups == 1 && n == 11 && digits[0] == '1' && digits[1] >= '3':
		d.add(s, i, end, true)
	case isCard(digits):
		d.add(s, i, end, true)
	case groups == 1 && n == 18 && isCNID(digits):
		d.add(s, i, end, true)
	}
	return end - 1
}

// isCard: 13-19 digits, an issuer prefix (Visa 4, Mastercard 51-55 and
// 2221-2720, Amex, Diners, JCB, Discover and UnionPay 3 and 6) and a valid
// Luhn sum. The prefix rule keeps millisecond timestamps and most ids
// (which start with 1) out; Luhn leaves one in ten of the rest.
func isCard(d []byte) bool {
	n := len(d)
	if n < 13 || n > 19 {
		return false
	}
	switch d[0] {
	case '3', '4', '5', '6':
	case '2':
		p := int(d[0]-'0')*1000 + int(d[1]-'0')*100 + int(d[2]-'0')*10 + int(d[3]-'0')
		if n != 16 || p < 2221 || p > 2720 {
			return false
		}
	default:
		return false
	}
	sum := 0
	for k := 0; k < n; k++ {
		v := int(d[n-1-k] - '0')
		if k%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// isCNID checks a Chinese resident ID number: area, a birth date from 1900
// on, sequence, and the ISO 7064 MOD 11-2 check character.
func isCNID(d []byte) bool {
	if len(d) != 18 || d[0] == '0' {
		return false
	}
	num := func(a, b int) int {
		v := 0
		for _, c := range d[a:b] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, day := num(6, 10), num(10, 12), num(12, 14)
	if y < 1900 || y > 2099 || m < 1 || m > 12 || day < 1 || day > 31 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k, w := range weights {
		sum += int(d[k]-'0') * w
	}
	return "10X98765432"[sum%11] == d[17]
}

// jwt masks a JSON Web Token starting at s[i] ("eyJ…").
func jwt(s string, i int, d *detection) int {
	j, dots := i, 0
	seg := 0
	for ; j < len(s); j++ {
		if s[j] == '.' {
			if seg < 10 {
				return j
			}
			dots++
			if dots == 3 {
				break
			}
			seg = 0
			continue
		}
		if !isB64URL(s[j]) {
			break
		}
		seg++
	}
	if dots < 2 {
		return j - 1
	}
	d.add(s, i, j, true)
	return j - 1
}

// bearer masks the credential after "Bearer ".
func bearer(s string, i int, d *detection) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && (isB64URL(s[j]) || strings.IndexByte(".~+/=", s[j]) >= 0) {
		j++
	}
	if j-i >= 8 {
		d.add(s, i, j, true)
	}
	return j - 1
}

// b64Run looks at a run of base64 characters: 40 or more hex digits (with
// both digits and letters), or 40 or more base64 characters that switch
// between digits, upper and lower case as often as random text does, are
// secret-shaped. A run after "sha256:" is our own digest of a body.
func b64Run(s string, i int, d *detection) (last int, ok bool) {
	j := i
	for j < len(s) && isB64(s[j]) {
		j++
	}
	n := j - i
	if n < 40 || i >= 7 && strings.EqualFold(s[i-7:i], "sha256:") {
		return i, false
	}
	hex, digits, upper, lower, switches := true, 0, 0, 0, 0
	prev := byte(0)
	for _, c := range []byte(s[i:j]) {
		var class byte
		switch {
		case isDigit(c):
			digits, class = digits+1, 1
		case 'A' <= c && c <= 'Z':
			upper, class = upper+1, 2
		case 'a' <= c && c <= 'z':
			lower, class = lower+1, 3
		}
		if !isHex(c) {
			hex = false
		}
		if class != 0 {
			if prev != 0 && class != prev {
				switches++
			}
			prev = class
		}
	}
	end := j
	for end < len(s) && end-j < 2 && s[end] == '=' {
		end++
	}
	switch {
	case hex && digits > 0 && upper+lower > 0:
		d.add(s, i, j, true)
		return j - 1, true
	case digits >= 2 && upper > 0 && lower > 0 && switches*3 >= n:
		d.add(s, i, end, true)
		return end - 1, true
	}
	return i, false
}

// contextWords name the value that follows them in prose: "phone
// 13977310428", "ID number: CNRY7Q04281977", "passport #X1234567".
var contextWords = []string{"phone", "phone number", "mobile", "mobile number", "tel", "whatsapp", "id number",
	"id no", "id card", "idcard", "identity card", "passport", "card number", "card no", "account no",
	"手机", "电话", "身份证", "护照", "卡号"}

// contextSpans masks a token with at least five digits that follows a
// context word and at most four separator bytes. It looks for the words in
// one pass, only at word starts whose first byte begins one of them.
func contextSpans(s string, d *detection) {
	digits := 0
	for i := 0; i < len(s) && digits < 5; i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	if digits < 5 {
		return
	}
	lower := asciiLower(s)
	for k := 0; k < len(lower); k++ {
		if k > 0 && isAlpha(lower[k-1]) || contextFirst[lower[k]] == nil {
			continue
		}
		for _, w := range contextFirst[lower[k]] {
			off := k + len(w)
			if !strings.HasPrefix(lower[k:], w) || off < len(s) && isAlpha(s[off]) {
				continue // "hotel", "telegram", "phones"
			}
			j := off
			for j < len(s) && j-off < 4 && strings.IndexByte(` :=#."'\()`, s[j]) >= 0 {
				j++
			}
			v, n := j, 0
			for v < len(s) && (isAlnum(s[v]) || s[v] == '+' || s[v] == '-') {
				if isDigit(s[v]) {
					n++
				}
				v++
			}
			if n >= 5 {
				d.add(s, j, v, true)
				k = v - 1
				break
			}
		}
	}
}

// contextFirst indexes contextWords by first byte, longest first.
var contextFirst = func() (idx [256][]string) {
	for _, w := range contextWords {
		idx[w[0]] = append(idx[w[0]], w)
	}
	for _, ws := range idx {
		sort.Slice(ws, func(i, j int) bool { return len(ws[i]) > len(ws[j]) })
	}
	return idx
}()

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return string(appendLower(nil, s))
		}
	}
	return s
}

// kvSpans is the tolerant scanner: it finds `"key": value` (also with the
// quotes escaped, as inside a logged JSON string) and `key=value` pairs
// anywhere in s, valid JSON or not, and masks the value when the key is
// sensitive, as JSON would. A string value cut off by the end of the text
// is masked to the end; an object or array value is masked whole, to its
// closing bracket or the end. Masks are never masked again.
func (ks *keySet) kvSpans(s string, d *detection) {
	if strings.IndexByte(s, ':') < 0 && strings.IndexByte(s, '=') < 0 {
		return
	}
	var kb [64]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		// A key starts a word; after '/' or '.' it is the last segment of a
		// path ("/data/email: type: …", "jobs[0].name: …" name a field, not
		// its value).
		// A quoted key is whatever its quotes hold, as a JSON key is
		// ("000Address" is the JSON path's sensitive key too); a bare one
		// is a word.
		quoted := i > 0 && s[i-1] == '"'
		if !isAlpha(c) && c != '_' && !(quoted && c != '"' && c != '\\') ||
			i > 0 && (isAlnum(s[i-1]) || s[i-1] == '_' || s[i-1] == '/' || s[i-1] == '.') {
			continue
		}
		j := i + 1
		for j < len(s) && (isAlnum(s[j]) || s[j] == '_' || s[j] == '-' || s[j] == '.') {
			j++
		}
		quote := "" // the closing quote of a quoted key, `"` or `\"`
		if quoted {
			quote = `"`
			if i > 1 && s[i-2] == '\\' {
				quote = `\"`
			}
			if !strings.HasPrefix(s[j:], quote) {
				k := strings.Index(s[i:min(len(s), i+maxQuotedKey)], quote)
				if k <= 0 || !followedByColon(s, i+k+len(quote)) {
					i = j - 1
					continue
				}
				j = i + k
			}
		}
		key := s[i:j]
		v := j + len(quote)
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if v >= len(s) || s[v] != ':' && (s[v] != '=' || quote != "") {
			i = j - 1
			continue
		}
		v++
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		kind := ks.lookup(appendLower(kb[:0], key))
		if kind == plain || v >= len(s) {
			i = j - 1
			continue
		}
		learn := true
		if lk := strings.ToLower(key); lk == "name" || lk == "displayname" {
			learn = false // see learnAmbiguous; decided per value below
		}
		if strings.HasPrefix(s[v:], "[redacted") || strings.HasPrefix(s[v:], `"[redacted`) || strings.HasPrefix(s[v:], `\"[redacted`) {
			i = v
			continue
		}
		start, end := kvValue(s, v, quote)
		if start < end {
			val := s[start:end]
			switch strings.ToLower(val) {
			case "null", "true", "false":
			default:
				d.add(s, start, end, learn || learnAmbiguous(val))
			}
		}
		i = max(end, j) - 1
	}
}

// maxQuotedKey bounds how far a quoted key is looked for: a JSON key is a
// field name, and a long quoted string is a value.
const maxQuotedKey = 64

// followedByColon reports whether s[v:] is blanks then ':'.
func followedByColon(s string, v int) bool {
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	return v < len(s) && s[v] == ':'
}

// kvValue returns the span of the value starting at s[v], inside quotes or
// brackets where there are any.
func kvValue(s string, v int, quote string) (int, int) {
	switch {
	case strings.HasPrefix(s[v:], `\"`):
		return v + 2, closeQuote(s, v+2, `\"`)
	case s[v] == '"':
		return v + 1, closeQuote(s, v+1, `"`)
	case s[v] == '\'':
		end := strings.IndexByte(s[v+1:], '\'')
		if end < 0 {
			return v + 1, len(s)
		}
		return v + 1, v + 1 + end
	case s[v] == '{' || s[v] == '[':
		return v + 1, closeBracket(s, v)
	}
	end := v
	stop := " \t\r\n&;,\"'<>)]}"
	if quote != "" {
		stop = " \t\r\n,}]\\\""
	}
	for end < len(s) && strings.IndexByte(stop, s[end]) < 0 {
		end++
	}
	// "Authorization: Bearer xyz": the scheme alone is no secret.
	if w := s[v:end]; (strings.EqualFold(w, "bearer") || strings.EqualFold(w, "basic")) && end < len(s) && s[end] == ' ' {
		for end++; end < len(s) && strings.IndexByte(stop, s[end]) < 0; end++ {
		}
	}
	return v, end
}

// closeQuote returns the index of the quote that ends a string value
// starting at s[i], or len(s) when it was cut off.
func closeQuote(s string, i int, q string) int {
	for j := i; j < len(s); j++ {
		if q == `"` && s[j] == '\\' {
			j++
			continue
		}
		if strings.HasPrefix(s[j:], q) {
			if q == `\"` && j > i && s[j-1] == '\\' { // `\\\"`: an escaped backslash, then the quote
				return j - 1
			}
			return j
		}
	}
	return len(s)
}

// closeBracket returns the index of the bracket closing the one at s[i], or
// len(s) when the text ends first. Brackets inside strings are skipped.
func closeBracket(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			j = closeQuote(s, j+1, `"`)
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(s)
}

// mergeSpans sorts spans and merges overlapping and touching ones.
func mergeSpans(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	out := spans[:1]
	for _, sp := range spans[1:] {
		if last := &out[len(out)-1]; sp.start <= last.end {
			last.end = max(last.end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// validUTF8Cut returns the largest n <= limit that does not split a UTF-8
// sequence of b.
func validUTF8Cut(b []byte, limit int) int {
	if limit >= len(b) {
		return len(b)
	}
	n := limit
	for n > 0 && n > limit-utf8.UTFMax && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}
