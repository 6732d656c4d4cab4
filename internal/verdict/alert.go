package verdict

// Alert is the paging level of an alert, as receivers get it (the webhook's
// severity, Alertmanager's severity label, PagerDuty's severity).
type Alert string

// Paging levels, most urgent first.
const (
	AlertCritical Alert = "critical"
	AlertWarning  Alert = "warning"
	AlertInfo     Alert = "info"
)

// Alerts lists every paging level, most urgent first.
func Alerts() []Alert { return []Alert{AlertCritical, AlertWarning, AlertInfo} }

// Valid reports whether a is a known paging level.
func (a Alert) Valid() bool { return a == AlertCritical || a == AlertWarning || a == AlertInfo }

// severityAlerts routes drift and spec-change severities to paging levels.
var severityAlerts = map[Severity]Alert{Breaking: AlertCritical, Warning: AlertWarning, Info: AlertInfo}

// Alert returns the paging level of a change of severity s. An unknown
// severity pages as a warning: better a warning than silence.
func (s Severity) Alert() Alert {
	if a, ok := severityAlerts[s]; ok {
		return a
	}
	return AlertWarning
}
