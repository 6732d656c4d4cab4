// Package deploy holds the deployment files (the Dockerfile's checks, the
// Kubernetes manifests under deploy/kubernetes and the Prometheus rules under
// deploy/prometheus) and the tests that hold them to the binary they deploy.
// It has no code of its own: the Kubernetes API types it decodes the
// manifests into are linked into its tests only, never into mmcontract.
package deploy
