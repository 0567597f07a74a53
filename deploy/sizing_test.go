package deploy_test

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestResourceReasoningMatchesManifests: deploy/kubernetes/README.md explains
// each container's requests from the benchmarks in a table; the table must be
// what the manifests say (so the reasoning is about the numbers deployed),
// and each memory request must exceed the peak RSS docs/bench/deploy.md
// measured for that process, with room for the work (at least twice).
func TestResourceReasoningMatchesManifests(t *testing.T) {
	objs := manifests(t)
	pods := map[string]corev1.PodSpec{
		"serve":   objs["serve-deployment.yaml"].(*appsv1.Deployment).Spec.Template.Spec,
		"worker":  objs["worker-deployment.yaml"].(*appsv1.Deployment).Spec.Template.Spec,
		"migrate": objs["migrate-job.yaml"].(*batchv1.Job).Spec.Template.Spec,
	}
	readme, err := os.ReadFile("kubernetes/README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (serve|worker|migrate) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|$`)
	rows := row.FindAllStringSubmatch(string(readme), -1)
	seen := map[string]bool{}
	for _, r := range rows {
		name := r[1]
		seen[name] = true
		spec := pods[name]
		c := spec.Containers[0]
		for _, f := range []struct {
			what string
			got  resource.Quantity
			doc  string
		}{
			{"CPU request", *c.Resources.Requests.Cpu(), r[2]},
			{"memory request", *c.Resources.Requests.Memory(), r[3]},
			{"memory limit", *c.Resources.Limits.Memory(), r[4]},
		} {
			want, err := resource.ParseQuantity(f.doc)
			if err != nil {
				t.Errorf("README %s %s %q: %v", name, f.what, f.doc, err)
				continue
			}
			if f.got.Cmp(want) != 0 {
				t.Errorf("%s %s: manifest %s, README %s", name, f.what, f.got.String(), f.doc)
			}
		}
		grace := "-"
		if spec.TerminationGracePeriodSeconds != nil && name != "migrate" {
			grace = fmt.Sprintf("%ds", *spec.TerminationGracePeriodSeconds)
		}
		if grace != r[5] {
			t.Errorf("%s grace period: manifest %s, README %s", name, grace, r[5])
		}
	}
	for name := range pods {
		if !seen[name] {
			t.Errorf("deploy/kubernetes/README.md has no row for %s in its resource table", name)
		}
	}

	bench, err := os.ReadFile("../docs/bench/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\*\*serve\s+([\d.]+)\s+MB,\s+worker\s+([\d.]+)\s+MB\*\*`).FindStringSubmatch(string(bench))
	if m == nil {
		t.Fatal("docs/bench/deploy.md states no measured peak RSS (\"**serve N MB, worker N MB**\")")
	}
	for i, name := range []string{"serve", "worker"} {
		mb, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			t.Fatal(err)
		}
		req := pods[name].Containers[0].Resources.Requests.Memory()
		if need := int64(2 * mb * 1e6); req.Value() < need {
			t.Errorf("%s memory request %s is below twice the measured peak RSS (%s MB)", name, req.String(), m[i+1])
		}
	}
	if !strings.Contains(string(readme), "docs/bench/deploy.md") {
		t.Error("deploy/kubernetes/README.md does not cite docs/bench/deploy.md")
	}
}
