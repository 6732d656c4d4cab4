// Package runner runs one contract check end to end: it resolves the target
// (the vendor, or the embedded simulator on a loopback port), builds the
// clients and the suites' Env, runs the Ginkgo specs once, and derives every
// output (results.json, junit.xml, ginkgo.json, report.html, the terminal
// summary and the exit code) from Ginkgo's single report.
//
// Ginkgo can run specs only once per process. Run is therefore called once
// per process; the scheduled monitor (runner/monitor) starts a child
// `mmcontract run` for every tick.
package runner
