// Package monitor is mmcontract's long-running half: it repeats the contract
// suites on cron schedules, keeps their history in SQLite, turns what changed
// into deduplicated alerts with resolve notices, watches the vendor's
// published spec, and serves /metrics, /healthz and the latest reports over
// HTTP.
//
// Each tick of a suite job runs `mmcontract run` as a child process of the
// same binary (Ginkgo runs specs once per process), behind the small
// JobRunner interface so the scheduling, storage and alert path can be
// exercised over thousands of ticks without processes. The monitor owns the
// run's lifecycle in the history store (BeginRun before the child starts,
// FinishRun or FailRun after), so a crash of the child or of the monitor
// itself loses at most the run in flight. Alert decisions belong to
// alert.Engine, delivery to alert.Dispatcher; this package wires them to the
// schedule and exposes what happened.
package monitor
