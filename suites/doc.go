// Package suites holds mmcontract's Ginkgo v2 specs: the contract checks that
// run against the vendor, its staging system or the embedded simulator.
//
// Specs are not registered at package init. Register builds the spec tree from
// an explicit Env (client, schemas, baselines, redactor) before the runner calls
// RunSpecs, so every dependency is passed in and tests can build their own Env.
// Because Ginkgo runs specs once per process, each run is one process: the
// monitor starts a child `mmcontract run` for every scheduled tick.
//
// Shared code here never calls Expect. It returns errors and violations; the
// specs assert on them with messages written for the person on call, and record
// what they saw as a contract.Observation report entry, the only results model.
package suites
