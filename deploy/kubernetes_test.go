package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds are the objects deploy/kubernetes may hold, by apiVersion/kind. A
// manifest of any other kind fails the test: add its type here first.
var kinds = map[string]func() any{
	"v1/ConfigMap":             func() any { return &corev1.ConfigMap{} },
	"v1/Service":               func() any { return &corev1.Service{} },
	"v1/PersistentVolumeClaim": func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/Deployment":       func() any { return &appsv1.Deployment{} },
	"batch/v1/CronJob":         func() any { return &batchv1.CronJob{} },
	"batch/v1/Job":             func() any { return &batchv1.Job{} },
}

// decodeStrict decodes one YAML document into its typed Kubernetes object:
// duplicate keys, unknown fields and wrong types are errors, as they are for
// `kubectl apply --validate=strict`.
func decodeStrict(doc []byte) (any, error) {
	raw, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("apiVersion %q kind %q is not a kind this test knows", tm.APIVersion, tm.Kind)
	}
	// Not encoding/json: it matches field names case-insensitively, so
	// readOnlyRootFileSystem would pass for readOnlyRootFilesystem and be
	// ignored by the API server. sigs.k8s.io/json decodes as the API server
	// does: case-sensitive, and strict errors for unknown fields.
	obj := newObj()
	strict, err := sigsjson.UnmarshalStrict(raw, obj, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	return obj, nil
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// manifests decodes every document of every file under deploy/kubernetes.
func manifests(t *testing.T) map[string][]any {
	t.Helper()
	byFile := map[string][]any{}
	err := filepath.WalkDir("kubernetes", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return fmt.Errorf("%s: manifests end in .yaml", path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range docSeparator.Split(string(raw), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			obj, err := decodeStrict([]byte(doc))
			if err != nil {
				return fmt.Errorf("%s document %d: %w", path, i+1, err)
			}
			byFile[filepath.ToSlash(path)] = append(byFile[filepath.ToSlash(path)], obj)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(byFile) == 0 {
		t.Fatal("no manifests under deploy/kubernetes")
	}
	return byFile
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// one returns the only object of type T in the manifests.
func one[T any](t *testing.T, all map[string][]any) T {
	t.Helper()
	var found []T
	for _, objs := range all {
		for _, o := range objs {
			if v, ok := o.(T); ok {
				found = append(found, v)
			}
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T in deploy/kubernetes, found %d", zero, len(found))
	}
	return found[0]
}

// Ensure every manifest decodes strictly into its typed Kubernetes object,
// and that the expected set of objects is there.
func TestManifestsDecodeStrictly(t *testing.T) {
	all := manifests(t)
	want := map[string]string{
		"kubernetes/nightly-cronjob.yaml":    "*v1.CronJob",
		"kubernetes/merge/job.yaml":          "*v1.Job",
		"kubernetes/outputs-pvc.yaml":        "*v1.PersistentVolumeClaim",
		"kubernetes/monitor-configmap.yaml":  "*v1.ConfigMap",
		"kubernetes/monitor-deployment.yaml": "*v1.Deployment",
		"kubernetes/monitor-service.yaml":    "*v1.Service",
	}
	for file, typ := range want {
		objs := all[file]
		if len(objs) != 1 || fmt.Sprintf("%T", objs[0]) != typ {
			t.Errorf("%s: got %d objects (%T…), want one %s", file, len(objs), first(objs), typ)
		}
	}
	for file := range all {
		if _, ok := want[file]; !ok {
			t.Errorf("%s is not checked by this test: add it to want", file)
		}
	}
}

func first(objs []any) any {
	if len(objs) == 0 {
		return nil
	}
	return objs[0]
}

// Ensure a misspelt, misplaced, duplicated or mistyped field is rejected,
// naming the field: the strict decoding is what catches typos.
func TestManifestTyposRejected(t *testing.T) {
	raw, err := os.ReadFile("kubernetes/nightly-cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cronjob := string(raw)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"misspelt field", "completionMode: Indexed", "completionMod: Indexed", `unknown field "spec.jobTemplate.spec.completionMod"`},
		{"wrong case", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true", `unknown field "spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"`},
		{"misplaced field", "          restartPolicy: Never", "          restartPolicy: Never\n          backoffLimitPerIndex: 1", `unknown field "spec.jobTemplate.spec.template.spec.backoffLimitPerIndex"`},
		{"duplicate key", "      parallelism: 4", "      parallelism: 4\n      parallelism: 2", `"parallelism" already set`},
		{"wrong type", "completions: 4", "completions: four", "completions"},
		{"unknown kind", "kind: CronJob", "kind: CronJobs", `kind "CronJobs" is not a kind`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(cronjob, tc.old, tc.new, 1)
			if bad == cronjob {
				t.Fatalf("the manifest no longer contains %q", tc.old)
			}
			_, err := decodeStrict([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decode error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := decodeStrict(raw); err != nil {
		t.Fatalf("the unchanged manifest: %v", err)
	}
}

// podSpecs returns every workload's pod template by name.
func podSpecs(t *testing.T, all map[string][]any) map[string]corev1.PodSpec {
	t.Helper()
	specs := map[string]corev1.PodSpec{}
	for _, objs := range all {
		for _, o := range objs {
			switch o := o.(type) {
			case *batchv1.CronJob:
				specs["CronJob "+o.Name] = o.Spec.JobTemplate.Spec.Template.Spec
			case *batchv1.Job:
				specs["Job "+o.GenerateName+o.Name] = o.Spec.Template.Spec
			case *appsv1.Deployment:
				specs["Deployment "+o.Name] = o.Spec.Template.Spec
			}
		}
	}
	if len(specs) != 3 {
		t.Fatalf("want 3 workloads (nightly, merge, monitor), found %v", specs)
	}
	return specs
}

// Ensure every workload runs non-root with a read-only root filesystem, no
// capabilities, no privilege escalation, bounded resources and a pinned
// image: the image needs nothing more, so nothing more is granted.
func TestManifestsSecurity(t *testing.T) {
	for name, spec := range podSpecs(t, manifests(t)) {
		t.Run(name, func(t *testing.T) {
			psc := spec.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
				t.Errorf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", psc)
			}
			if psc != nil && (psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault) {
				t.Errorf("pod seccompProfile %+v, want RuntimeDefault", psc.SeccompProfile)
			}
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Error("automountServiceAccountToken is not false: mmcontract never calls the Kubernetes API")
			}
			if len(spec.Containers) == 0 || len(spec.InitContainers) != 0 {
				t.Fatalf("want containers and no init containers, got %d and %d", len(spec.Containers), len(spec.InitContainers))
			}
			for _, c := range spec.Containers {
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("container %s has no securityContext", c.Name)
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
				case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0:
					t.Errorf("container %s: capabilities %+v, want drop [ALL] and no add", c.Name, sc.Capabilities)
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("container %s is privileged", c.Name)
				}
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if _, ok := c.Resources.Requests[res]; !ok {
						t.Errorf("container %s has no %s request", c.Name, res)
					}
					if _, ok := c.Resources.Limits[res]; !ok {
						t.Errorf("container %s has no %s limit", c.Name, res)
					}
				}
				if _, tag, ok := strings.Cut(c.Image, ":"); !ok || tag == "" || tag == "latest" {
					t.Errorf("container %s image %q is not pinned to a tag", c.Name, c.Image)
				}
				if len(c.Command) != 0 {
					t.Errorf("container %s overrides the image's entrypoint with %q", c.Name, c.Command)
				}
				if !mounts(c, "/tmp") {
					t.Errorf("container %s has no writable /tmp on its read-only root", c.Name)
				}
			}
		})
	}
}

func mounts(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path && !m.ReadOnly {
			return true
		}
	}
	return false
}

// env returns the container's variables: literal values, and secret
// references as "secret:<name>/<key>".
func env(c corev1.Container) map[string]string {
	vars := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if ref.Optional != nil && *ref.Optional {
				vars[e.Name] = "optional-secret:" + ref.Name + "/" + ref.Key
			} else {
				vars[e.Name] = "secret:" + ref.Name + "/" + ref.Key
			}
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			vars[e.Name] = "field:" + e.ValueFrom.FieldRef.FieldPath
		default:
			vars[e.Name] = e.Value
		}
	}
	return vars
}

// Ensure the nightly CronJob runs an Indexed Job of read-only shards against
// the target in its Secret, each shard into its own folder of a shared claim
// that the merge Job reads back, shard for shard.
func TestNightlyIndexedJob(t *testing.T) {
	all := manifests(t)
	cj := one[*batchv1.CronJob](t, all)
	js := cj.Spec.JobTemplate.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed", js.CompletionMode)
	}
	if js.Completions == nil || *js.Completions < 2 || js.Parallelism == nil || *js.Parallelism < 1 || *js.Parallelism > *js.Completions {
		t.Fatalf("completions %v parallelism %v: want N ≥ 2 shards and 1 ≤ parallelism ≤ N", js.Completions, js.Parallelism)
	}
	n := int(*js.Completions)
	if js.ActiveDeadlineSeconds == nil || *js.ActiveDeadlineSeconds <= 0 {
		t.Error("the Job has no activeDeadlineSeconds: a hung vendor would hold the night's pods forever")
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy %q, want Forbid: two nights at once would share the vendor's rate budget", cj.Spec.ConcurrencyPolicy)
	}
	spec := js.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever || len(spec.Containers) != 1 {
		t.Fatalf("restartPolicy %q with %d containers, want Never and one", spec.RestartPolicy, len(spec.Containers))
	}
	c := spec.Containers[0]
	vars := env(c)
	for name, want := range map[string]string{
		"MM_REQUIRE_TARGET": "1",
		"JOB_COMPLETIONS":   strconv.Itoa(n),
		"JOB_NAME":          "field:metadata.labels['batch.kubernetes.io/job-name']",
		"MM_BASE_URL":       "secret:mmcontract-target/MM_BASE_URL",
		"MM_COMPANY_ID":     "secret:mmcontract-target/MM_COMPANY_ID",
		"MM_LOGIN_NAME":     "secret:mmcontract-target/MM_LOGIN_NAME",
		"MM_LOGIN_PASSWORD": "secret:mmcontract-target/MM_LOGIN_PASSWORD",
	} {
		if vars[name] != want {
			t.Errorf("env %s = %q, want %q", name, vars[name], want)
		}
	}
	if _, set := vars["JOB_COMPLETION_INDEX"]; set {
		t.Error("JOB_COMPLETION_INDEX is set by hand: Kubernetes injects it for an Indexed Job")
	}
	out := "/out/$(JOB_NAME)/shard-$(JOB_COMPLETION_INDEX)"
	if want := []string{"run", "--label-filter", "readonly", "--out", out}; !slices.Equal(c.Args, want) {
		t.Errorf("args %q, want %q", c.Args, want)
	}
	claim := claimAt(t, spec, c, "/out")
	pvc := one[*corev1.PersistentVolumeClaim](t, all)
	if pvc.Name != claim || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("outputs claim %q (%v), want the manifests' ReadWriteMany claim %q", pvc.Name, pvc.Spec.AccessModes, claim)
	}

	merge := one[*batchv1.Job](t, all)
	mc := merge.Spec.Template.Spec.Containers[0]
	want := []string{"merge", "--out", "/out/$(NIGHT)/merged"}
	for i := 0; i < n; i++ {
		want = append(want, "/out/$(NIGHT)/shard-"+strconv.Itoa(i))
	}
	if !slices.Equal(mc.Args, want) {
		t.Errorf("merge args %q, want every shard of %d: %q", mc.Args, n, want)
	}
	if env(mc)["NIGHT"] == "" {
		t.Error("the merge Job does not set NIGHT")
	}
	if got := claimAt(t, merge.Spec.Template.Spec, mc, "/out"); got != claim {
		t.Errorf("merge reads claim %q, the shards write %q", got, claim)
	}
}

// claimAt returns the claim mounted at path in c.
func claimAt(t *testing.T, spec corev1.PodSpec, c corev1.Container, path string) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
	}
	t.Fatalf("container %s mounts no claim at %s", c.Name, path)
	return ""
}

var configVar = regexp.MustCompile(`\$\{(\w+)\}`)

// Ensure the monitor Deployment runs two replicas on different nodes with
// their Postgres URL from a Secret, every variable its ConfigMap's config
// expands in its environment, /healthz probes, and a ClusterIP Service that
// reaches its metrics port.
func TestMonitorDeployment(t *testing.T) {
	all := manifests(t)
	d := one[*appsv1.Deployment](t, all)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	vars := env(c)
	if vars["MM_STORE_URL"] != "secret:mmcontract-monitor/MM_STORE_URL" {
		t.Errorf("MM_STORE_URL = %q, want it from the Secret", vars["MM_STORE_URL"])
	}
	cm := one[*corev1.ConfigMap](t, all)
	config := cm.Data["monitor.yaml"]
	if !strings.Contains(config, "store: ${MM_STORE_URL}") || !strings.Contains(config, "auth_token: ${MM_AUTH_TOKEN}") {
		t.Error("the monitor config does not take its store and auth_token from the environment")
	}
	for _, m := range configVar.FindAllStringSubmatch(config, -1) {
		if v := vars[m[1]]; !strings.HasPrefix(v, "secret:") {
			t.Errorf("the config expands ${%s}, which the Deployment sets to %q, not from a Secret", m[1], v)
		}
	}
	wantArgs := []string{"monitor", "--config", "/etc/mmcontract/monitor.yaml"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	configMounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if m.Name == v.Name && m.MountPath == "/etc/mmcontract" && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
				configMounted = true
			}
		}
	}
	if !configMounted {
		t.Errorf("ConfigMap %s is not mounted at /etc/mmcontract", cm.Name)
	}
	if c.WorkingDir == "" || !mounts(c, c.WorkingDir) {
		t.Errorf("workingDir %q is not a writable volume: run folders and the health probe write there", c.WorkingDir)
	}
	var port corev1.ContainerPort
	for _, p := range c.Ports {
		if p.ContainerPort == 9464 {
			port = p
		}
	}
	if port.Name == "" || !strings.Contains(config, "listen: 0.0.0.0:9464") {
		t.Fatalf("the monitor does not listen on a named container port 9464 (ports %+v)", c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != port.Name {
			t.Errorf("%s probe %+v, want GET /healthz on port %s", name, p, port.Name)
		}
	}
	if c.LivenessProbe != nil && c.ReadinessProbe != nil &&
		c.LivenessProbe.PeriodSeconds*c.LivenessProbe.FailureThreshold <= c.ReadinessProbe.PeriodSeconds*c.ReadinessProbe.FailureThreshold {
		t.Error("liveness gives up no later than readiness: a restart cannot cure what /healthz reports, so it must wait longer")
	}
	aff := spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Fatal("no pod anti-affinity between the replicas")
	}
	term := aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
	if term.TopologyKey != "kubernetes.io/hostname" || !selects(term.LabelSelector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("anti-affinity %+v does not spread this Deployment's pods across nodes", term)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Error("the Deployment's selector does not select its own pods")
	}
	if spec.TerminationGracePeriodSeconds == nil || !strings.Contains(config, "shutdown_grace: 45s") || *spec.TerminationGracePeriodSeconds <= 45 {
		t.Errorf("terminationGracePeriodSeconds %v is not longer than the config's shutdown_grace (45s)", spec.TerminationGracePeriodSeconds)
	}

	svc := one[*corev1.Service](t, all)
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || !selects(svc.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("Service type %q selector %v: want ClusterIP selecting the monitor's pods", svc.Spec.Type, svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9464 || svc.Spec.Ports[0].TargetPort.String() != port.Name {
		t.Errorf("Service ports %+v, want 9464 to the container's %s", svc.Spec.Ports, port.Name)
	}
}

// selects reports whether every label of sel is on the pod.
func selects(sel, pod map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if pod[k] != v {
			return false
		}
	}
	return true
}
