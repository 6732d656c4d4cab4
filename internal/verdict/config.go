package verdict

// ConfigKind names what is wrong with a run's set-up when its verdict is
// Config; results.json carries it as config_error.kind.
type ConfigKind string

// The kinds of set-up problem.
const (
	// CredentialsRejected: the vendor refused the login, or the token
	// (GATEWAY_CODE_005/017 after the one re-login).
	CredentialsRejected ConfigKind = "credentials_rejected"
	// WrongBaseURL: the base URL is not the server root (it ends in /api,
	// /openapi-c or /openapi-b, or the gateway does not route the login).
	WrongBaseURL ConfigKind = "wrong_base_url"
	// ClockSkew: the vendor refused a request the client timestamped with
	// its clock as outside its time window (GATEWAY_CODE_014, or 00012002
	// on the Open API): this host's clock is wrong.
	ClockSkew ConfigKind = "clock_skew"
	// UnknownTestAccount: the user's Webhook API receiver refused the first
	// get-user-amount for the test account (`webhook verify --user`,
	// --currency, --third-server-code): it does not know the account.
	UnknownTestAccount ConfigKind = "unknown_test_account"
)

// ConfigError is a set-up problem: the run could not check the contract.
// Message names the fix in the user's words; it is results.json's
// config_error.
type ConfigError struct {
	Kind    ConfigKind `json:"kind"`
	Message string     `json:"message"`
}

func (e *ConfigError) Error() string { return e.Message }
