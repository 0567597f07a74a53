// Package deploy_test checks the deployment examples: every Kubernetes
// manifest decodes into the Kubernetes API types with unknown fields refused
// (a misspelt field fails), and both the manifests and compose.yaml keep the
// rules README.md promises: secrets referenced never inlined, a read-only
// root file system, a non-root user, probes on the server's endpoints,
// resource requests, a grace period longer than the stop timeout.
package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/intercom-privacy/intercom-privacy/health"
)

// decodeStrict decodes one Kubernetes object by its apiVersion and kind as
// the API server would, refusing unknown, misspelt and duplicate fields.
func decodeStrict(b []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := sigsyaml.Unmarshal(b, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "v1 Service":
		obj = &corev1.Service{}
	default:
		return nil, fmt.Errorf("unexpected object %s %s (no Secret or ConfigMap is kept in the repository)", tm.APIVersion, tm.Kind)
	}
	// YAML to JSON (duplicate keys refused), then the decoder the API server
	// uses: field names match case-sensitively (encoding/json would take
	// readOnlyRootFileSystem for readOnlyRootFilesystem) and unknown or
	// duplicate fields are errors.
	j, err := sigsyaml.YAMLToJSONStrict(b)
	if err != nil {
		return nil, err
	}
	strict, err := k8sjson.UnmarshalStrict(j, obj, k8sjson.DisallowDuplicateFields, k8sjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	return obj, nil
}

// manifests decodes every object file of deploy/kubernetes.
func manifests(t *testing.T) map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string]any{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("\n---")) {
			t.Fatalf("%s: one object per file", f)
		}
		obj, err := decodeStrict(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = obj
	}
	return out
}

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := manifests(t)
	for _, want := range []string{"migrate-job.yaml", "worker-deployment.yaml", "worker-pdb.yaml", "serve-deployment.yaml", "serve-service.yaml"} {
		if _, ok := objs[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	// The kustomization lists exactly the object files.
	var k struct {
		APIVersion string              `yaml:"apiVersion"`
		Kind       string              `yaml:"kind"`
		Labels     []map[string]any    `yaml:"labels"`
		Resources  []string            `yaml:"resources"`
		Extra      map[string]struct{} `yaml:",inline"`
	}
	b, err := os.ReadFile(filepath.Join("kubernetes", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if k.Kind != "Kustomization" || len(k.Extra) != 0 {
		t.Errorf("kustomization: kind %q, unexpected keys %v", k.Kind, k.Extra)
	}
	listed := slices.Sorted(slices.Values(k.Resources))
	var files []string
	for f := range objs {
		files = append(files, f)
	}
	slices.Sort(files)
	if !slices.Equal(listed, files) {
		t.Errorf("kustomization resources %v, files %v", listed, files)
	}
}

// TestStrictDecodingCatchesTypos proves the check above can fail: a
// misspelt field, a field at the wrong level, a wrong type.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("kubernetes", "serve-deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeStrict(b); err != nil {
		t.Fatalf("the file itself: %v", err)
	}
	for _, tc := range []struct{ from, to string }{
		{"readinessProbe:", "readinesProbe:"},
		{"readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"},
		{"terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: sixty"},
		{"  replicas: 2", "  replicas: 2\n  replica: 2"},
	} {
		bad := bytes.Replace(b, []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(bad, b) {
			t.Fatalf("%q is not in the file", tc.from)
		}
		if _, err := decodeStrict(bad); err == nil {
			t.Errorf("%q -> %q decoded without error", tc.from, tc.to)
		}
	}
}

// secretish names environment variables whose value is a secret: they must
// come from a secretKeyRef or name a mounted file (…_FILE).
func secretish(name string) bool {
	if strings.HasSuffix(name, "_FILE") {
		return false
	}
	for _, w := range []string{"SECRET", "TOKEN", "MASTER_KEY", "PASSWORD", "DATABASE_URL"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// stopTimeout reads --stop-timeout from args (one minute when absent).
func stopTimeout(t *testing.T, args []string) time.Duration {
	t.Helper()
	for i, a := range args {
		if a == "--stop-timeout" && i+1 < len(args) {
			d, err := time.ParseDuration(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	return time.Minute
}

// handBack is the cmd's handBackWait: jobs cancelled after --stop-timeout get
// this long to return.
const handBack = 15 * time.Second

func checkPod(t *testing.T, where string, spec corev1.PodSpec, probed bool) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("%s: the pod must run as non-root uid 65532 (the image's user)", where)
	}
	mounts := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.Secret == nil && v.EmptyDir == nil {
			t.Errorf("%s: volume %s is neither a Secret nor an emptyDir", where, v.Name)
		}
	}
	for _, c := range spec.Containers {
		cw := where + " container " + c.Name
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: read-only root file system and no privilege escalation required", cw)
		}
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = true
		}
		for _, p := range []string{"/tmp", "/data"} {
			if !mounts[p] {
				t.Errorf("%s: %s must be a writable volume (the root file system is read-only)", cw, p)
			}
		}
		req := c.Resources.Requests
		if req.Cpu().IsZero() || req.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: cpu and memory requests and a memory limit required", cw)
		}
		if c.Resources.Limits.Memory().Cmp(*req.Memory()) < 0 {
			t.Errorf("%s: memory limit below the request", cw)
		}
		for _, e := range c.Env {
			if secretish(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("%s: %s must come from a Secret (secretKeyRef) or a mounted file (%s_FILE), not a literal value", cw, e.Name, e.Name)
			}
			if strings.HasSuffix(e.Name, "_FILE") {
				if !mountedUnder(c.VolumeMounts, e.Value) {
					t.Errorf("%s: %s=%s is not under a mounted volume", cw, e.Name, e.Value)
				}
			}
		}
		if !probed {
			continue
		}
		checkProbe(t, cw+" liveness", c.LivenessProbe, health.PathLive, c.Ports)
		checkProbe(t, cw+" readiness", c.ReadinessProbe, health.PathReady, c.Ports)
		grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		if need := stopTimeout(t, c.Args) + handBack; grace <= need {
			t.Errorf("%s: terminationGracePeriodSeconds %s must exceed --stop-timeout plus %s (%s)", cw, grace, handBack, need)
		}
	}
}

func mountedUnder(mounts []corev1.VolumeMount, p string) bool {
	for _, m := range mounts {
		if strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}

func checkProbe(t *testing.T, where string, p *corev1.Probe, path string, ports []corev1.ContainerPort) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: an HTTP probe on %s is required", where, path)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: path %s, want %s", where, p.HTTPGet.Path, path)
	}
	found := false
	for _, cp := range ports {
		if cp.Name == p.HTTPGet.Port.String() || fmt.Sprint(cp.ContainerPort) == p.HTTPGet.Port.String() {
			found = true
		}
	}
	if !found {
		t.Errorf("%s: port %s is not a container port", where, p.HTTPGet.Port.String())
	}
}

// argValue returns the value after flag in args.
func argValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func TestManifestsKeepTheRules(t *testing.T) {
	objs := manifests(t)
	serve := objs["serve-deployment.yaml"].(*appsv1.Deployment)
	worker := objs["worker-deployment.yaml"].(*appsv1.Deployment)
	job := objs["migrate-job.yaml"].(*batchv1.Job)
	pdb := objs["worker-pdb.yaml"].(*policyv1.PodDisruptionBudget)
	svc := objs["serve-service.yaml"].(*corev1.Service)

	checkPod(t, "serve", serve.Spec.Template.Spec, true)
	checkPod(t, "worker", worker.Spec.Template.Spec, true)
	checkPod(t, "migrate", job.Spec.Template.Spec, false)

	if args := serve.Spec.Template.Spec.Containers[0].Args; len(args) == 0 || args[0] != "serve" || !slices.Contains(args, "--no-workers") {
		t.Errorf("serve args %v: serve --no-workers (jobs run in the workers)", args)
	}
	wc := worker.Spec.Template.Spec.Containers[0]
	if len(wc.Args) == 0 || wc.Args[0] != "worker" {
		t.Errorf("worker args %v", wc.Args)
	}
	if addr := argValue(wc.Args, "--health-addr"); addr == "" || !strings.HasSuffix(addr, fmt.Sprint(":", wc.Ports[0].ContainerPort)) {
		t.Errorf("worker --health-addr %q does not serve the probed port %d", addr, wc.Ports[0].ContainerPort)
	}
	if *worker.Spec.Replicas < 2 {
		t.Errorf("workers: %d replicas, the PodDisruptionBudget needs at least 2", *worker.Spec.Replicas)
	}
	if args := job.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"migrate"}) {
		t.Errorf("migration job args %v", args)
	}
	// The PodDisruptionBudget covers the workers and nothing else.
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(worker.Spec.Template.Labels)) || sel.Matches(labels.Set(serve.Spec.Template.Labels)) {
		t.Error("the PodDisruptionBudget selector must match the worker pods only")
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() >= int(*worker.Spec.Replicas) {
		t.Error("the PodDisruptionBudget must leave room for one worker to be moved")
	}
	for _, d := range []*appsv1.Deployment{serve, worker} {
		s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !s.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not match its pods", d.Name)
		}
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(serve.Spec.Template.Labels)) ||
		labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(worker.Spec.Template.Labels)) {
		t.Error("the Service must select the serve pods only")
	}
	if svc.Spec.Ports[0].TargetPort.String() != serve.Spec.Template.Spec.Containers[0].Ports[0].Name {
		t.Error("the Service's target port is not serve's port")
	}
	// Every Secret the pods reference is one the README tells to create.
	for _, d := range []corev1.PodSpec{serve.Spec.Template.Spec, worker.Spec.Template.Spec, job.Spec.Template.Spec} {
		for _, v := range d.Volumes {
			if v.Secret != nil && v.Secret.SecretName != "intercom-privacy-keys" {
				t.Errorf("unknown Secret %s", v.Secret.SecretName)
			}
		}
		for _, e := range d.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != "intercom-privacy-database" {
				t.Errorf("unknown Secret %s", e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
}

// composeFile is the part of the Compose specification deploy/compose.yaml
// uses; KnownFields refuses any other key, so a misspelt one fails.
type composeFile struct {
	Name     string                    `yaml:"name"`
	XApp     yaml.Node                 `yaml:"x-app"`
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	ReadOnly    bool              `yaml:"read_only"`
	Tmpfs       []string          `yaml:"tmpfs"`
	SecurityOpt []string          `yaml:"security_opt"`
	CapDrop     []string          `yaml:"cap_drop"`
	Secrets     []string          `yaml:"secrets"`
	Environment map[string]string `yaml:"environment"`
	Command     []string          `yaml:"command"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Deploy *struct {
		Replicas  int `yaml:"replicas"`
		Resources struct {
			Limits struct {
				Memory string `yaml:"memory"`
			} `yaml:"limits"`
		} `yaml:"resources"`
	} `yaml:"deploy"`
	StopGracePeriod string `yaml:"stop_grace_period"`
	Restart         string `yaml:"restart"`
}

func loadCompose(t *testing.T, b []byte) (composeFile, error) {
	t.Helper()
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	return c, err
}

func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadCompose(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadCompose(t, bytes.Replace(b, []byte("read_only: true"), []byte("readonly: true"), 1)); err == nil {
		t.Error("a misspelt key was accepted")
	}
	if bytes.Contains(b, []byte("INTERCOM_PRIVACY_MASTER_KEY:")) || bytes.Contains(b, []byte("INTERCOM_ACCESS_TOKEN:")) ||
		bytes.Contains(b, []byte("INTERCOM_CLIENT_SECRET:")) || bytes.Contains(b, []byte("POSTGRES_PASSWORD:")) {
		t.Error("compose.yaml holds a secret's value; secrets come from files")
	}
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if secretish(k) && k != "DATABASE_URL" {
				t.Errorf("%s: %s is set in the compose file", name, k)
			}
			if k == "DATABASE_URL" && strings.Contains(strings.SplitN(strings.TrimPrefix(v, "postgres://"), "@", 2)[0], ":") {
				t.Errorf("%s: DATABASE_URL holds a password; it comes from the pgpass secret", name)
			}
			if strings.HasSuffix(k, "_FILE") && !strings.HasPrefix(v, "/run/secrets/") {
				t.Errorf("%s: %s=%s is not a secret file", name, k, v)
			}
		}
	}
	for _, want := range []string{"postgres", "migrate", "worker", "serve"} {
		if _, ok := c.Services[want]; !ok {
			t.Fatalf("no %s service", want)
		}
	}
	if d := c.Services["worker"].Deploy; d == nil || d.Replicas != 2 {
		t.Error("two workers expected")
	}
	if cmd := c.Services["migrate"].Command; !slices.Equal(cmd, []string{"migrate"}) {
		t.Errorf("migrate command %v", cmd)
	}
	for _, name := range []string{"worker", "serve"} {
		s := c.Services[name]
		if s.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s must start after the migration finished", name)
		}
		grace, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil || grace <= stopTimeout(t, s.Command)+handBack {
			t.Errorf("%s: stop_grace_period %q must exceed --stop-timeout plus %s", name, s.StopGracePeriod, handBack)
		}
	}
	if c.Services["migrate"].DependsOn["postgres"].Condition != "service_healthy" {
		t.Error("migrate must wait for a healthy PostgreSQL")
	}
	for name, port := range map[string]string{"serve": "8080", "worker": "8081"} {
		hc := c.Services[name].Healthcheck
		if hc == nil || len(hc.Test) < 3 || hc.Test[1] != "/usr/local/bin/intercom-privacy" || hc.Test[2] != "healthcheck" ||
			!slices.Contains(hc.Test, "http://127.0.0.1:"+port+health.PathReady) {
			t.Errorf("%s: a healthcheck running `intercom-privacy healthcheck` on its /readyz (port %s) expected", name, port)
		}
	}
	if cmd := c.Services["serve"].Command; len(cmd) == 0 || cmd[0] != "serve" || !slices.Contains(cmd, "--no-workers") {
		t.Errorf("serve command %v", cmd)
	}
	for _, name := range []string{"migrate", "worker", "serve"} {
		s := c.Services[name]
		if !s.ReadOnly || !slices.Contains(s.Tmpfs, "/tmp") || !slices.Contains(s.Secrets, "master_key") {
			t.Errorf("%s: read-only root, a /tmp tmpfs and the master key secret expected", name)
		}
	}
	for name, s := range c.Secrets {
		if !strings.HasPrefix(s.File, "./secrets/") {
			t.Errorf("secret %s comes from %q, want a file under deploy/secrets (ignored by git)", name, s.File)
		}
	}
	ignored, err := os.ReadFile(".gitignore")
	if err != nil || !strings.Contains(string(ignored), "secrets/") {
		t.Error("deploy/.gitignore must keep deploy/secrets out of git")
	}
}
