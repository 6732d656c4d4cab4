// Package monitor is mmcontract's long-running half: it repeats the contract
// suites on cron schedules (each run a child process), keeps their history in
// SQLite, turns what changed into deduplicated alerts with resolve notices,
// watches the vendor's published spec, and serves /metrics, /healthz and the
// latest reports over HTTP.
package monitor
