package verdict

// Severity is how much a change in the vendor's contract matters to a
// caller: the severity of drift (live shapes against a baseline) and of spec
// changes. It is typed so that no package compares severities as strings.
type Severity string

// Severities. Breaking pages; warning and info are reported without waking
// anyone.
const (
	Breaking Severity = "breaking"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

var severityRank = map[Severity]int{Info: 1, Warning: 2, Breaking: 3}

// Severities lists every severity, most severe first.
func Severities() []Severity { return []Severity{Breaking, Warning, Info} }

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { _, ok := severityRank[s]; return ok }

// MoreSevere reports whether s outranks t; the empty severity ranks lowest.
func (s Severity) MoreSevere(t Severity) bool { return severityRank[s] > severityRank[t] }

// Verdict is the verdict a change of severity s implies on its own: broken
// for breaking, drifted for warning and info, pass for none ("").
func (s Severity) Verdict() Verdict {
	switch s {
	case Breaking:
		return Broken
	case "":
		return Pass
	}
	return Drifted
}
