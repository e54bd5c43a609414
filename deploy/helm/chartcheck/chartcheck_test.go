package chartcheck_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/clinjobs/clinjobs/deploy/helm/chartcheck"
)

// TestRenderings decodes and checks every rendering `make chart-check`
// wrote (one a values file) into CHARTCHECK_DIR. Without renderings it
// fails: a check that checked nothing must not pass.
func TestRenderings(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("CHARTCHECK_DIR")
	if dir == "" {
		t.Fatal("CHARTCHECK_DIR is not set: run make chart-check, which renders the chart into it")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no renderings in %s (%v)", dir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			objs := decodeFile(t, f)
			if err := chartcheck.Check(objs); err != nil {
				t.Errorf("policy:\n%v", err)
			}
			// Every service is there, each with the parts it must have.
			want := []string{
				"Deployment/clinjobs-ingest", "Deployment/clinjobs-notification", "Deployment/clinjobs-dashboard",
				"StatefulSet/clinjobs-matching", "Service/clinjobs-matching-pods",
				"HorizontalPodAutoscaler/clinjobs-ingest", "ScaledObject/clinjobs-notification",
			}
			have := map[string]bool{}
			for _, o := range objs {
				have[o.Kind+"/"+o.Name] = true
			}
			for _, w := range want {
				if !have[w] {
					t.Errorf("%s is missing", w)
				}
			}
		})
	}
}

func decodeFile(t *testing.T, path string) []chartcheck.Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := chartcheck.Decode(b)
	if err != nil {
		t.Fatalf("decode %s:\n%v", path, err)
	}
	return objs
}

// TestDecodeRefuses: an unknown field, a field of the wrong type, a
// duplicate key or a kind the chart has no business rendering is an error.
func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		{"unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  clusterIp: None\n", `unknown field "spec.clusterIp"`},
		{"misplaced field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          readinessProbes: {}\n", "readinessProbes"},
		{"wrong type", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: a}\nspec:\n  selector: [a]\n", "cannot unmarshal"},
		{"duplicate key", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: ClusterIP\n  type: NodePort\n", `key "type" already set`},
		{"unknown kind", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n", "not a kind the chart may render"},
		{"KEDA field", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {name: a}\n  maxReplicas: 3\n  triggers: []\n", `unknown field "spec.maxReplicas"`},
		{"case", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  Type: ClusterIP\n", `unknown field "spec.Type"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := chartcheck.Decode([]byte("---\n# Source: test\n" + tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestPolicyRefuses starts from a good rendering (testdata/good.yaml:
// notification and matching as the chart renders them for the small size),
// shows that it passes, then breaks it
// one way at a time: each breach must fail the policy with its reason.
func TestPolicyRefuses(t *testing.T) {
	t.Parallel()
	if err := chartcheck.Check(decodeFile(t, "testdata/good.yaml")); err != nil {
		t.Fatalf("the good rendering fails:\n%v", err)
	}
	container := func(objs []chartcheck.Object) *corev1.Container {
		for _, o := range objs {
			if d, ok := o.Value.(*appsv1.Deployment); ok {
				return &d.Spec.Template.Spec.Containers[0]
			}
		}
		t.Fatal("no Deployment in testdata/good.yaml")
		return nil
	}
	without := func(kinds ...string) func([]chartcheck.Object) []chartcheck.Object {
		return func(objs []chartcheck.Object) []chartcheck.Object {
			var out []chartcheck.Object
			for _, o := range objs {
				if !slices.Contains(kinds, o.Kind) {
					out = append(out, o)
				}
			}
			return out
		}
	}
	edit := func(f func(c *corev1.Container)) func([]chartcheck.Object) []chartcheck.Object {
		return func(objs []chartcheck.Object) []chartcheck.Object { f(container(objs)); return objs }
	}
	statefulSet := func(f func(s *appsv1.StatefulSet)) func([]chartcheck.Object) []chartcheck.Object {
		return func(objs []chartcheck.Object) []chartcheck.Object {
			for _, o := range objs {
				if s, ok := o.Value.(*appsv1.StatefulSet); ok {
					f(s)
					return objs
				}
			}
			t.Fatal("no StatefulSet in testdata/good.yaml")
			return nil
		}
	}
	scaledObject := func(f func(s *chartcheck.ScaledObject)) func([]chartcheck.Object) []chartcheck.Object {
		return func(objs []chartcheck.Object) []chartcheck.Object {
			for _, o := range objs {
				if s, ok := o.Value.(*chartcheck.ScaledObject); ok {
					f(s)
					return objs
				}
			}
			t.Fatal("no ScaledObject in testdata/good.yaml")
			return nil
		}
	}
	no, yes := false, true
	root := int64(0)
	tests := []struct {
		name   string
		breach func([]chartcheck.Object) []chartcheck.Object
		want   string
	}{
		{"no readiness probe", edit(func(c *corev1.Container) { c.ReadinessProbe = nil }), "no readiness probe"},
		{"no liveness probe", edit(func(c *corev1.Container) { c.LivenessProbe = nil }), "no liveness probe"},
		{"no memory limit", edit(func(c *corev1.Container) { delete(c.Resources.Limits, corev1.ResourceMemory) }), "no memory limit"},
		{"no cpu request", edit(func(c *corev1.Container) { delete(c.Resources.Requests, corev1.ResourceCPU) }), "no cpu request"},
		{"request above limit", edit(func(c *corev1.Container) { c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("4Gi") }), "above its limit"},
		{"runs as root", edit(func(c *corev1.Container) { c.SecurityContext.RunAsNonRoot = &no; c.SecurityContext.RunAsUser = &root }), "runs as user 0"},
		{"may be root", edit(func(c *corev1.Container) { c.SecurityContext.RunAsNonRoot = &no }), "may run as root"},
		{"escalation", edit(func(c *corev1.Container) { c.SecurityContext.AllowPrivilegeEscalation = &yes }), "privilege escalation"},
		{"privileged", edit(func(c *corev1.Container) { c.SecurityContext.Privileged = &yes }), "is privileged"},
		{"writable root", edit(func(c *corev1.Container) { c.SecurityContext.ReadOnlyRootFilesystem = nil }), "root file system is writable"},
		{"a capability kept", edit(func(c *corev1.Container) { c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"} }), "does not drop every capability"},
		{"foreign image", edit(func(c *corev1.Container) { c.Image = "docker.io/library/nginx:1.27" }), "not one of the project's own"},
		{"latest", edit(func(c *corev1.Container) { c.Image = "clinjobs/notification:latest" }), "not pinned"},
		{"no tag", edit(func(c *corev1.Container) { c.Image = "clinjobs/notification" }), "not one of the project's own"},
		{"secret in env", edit(func(c *corev1.Container) {
			c.Env = append(c.Env, corev1.EnvVar{Name: "OPERATOR_KEY", Value: "cjo.not-a-real-key"})
		}), "would carry a secret"},
		{"secret from env ref", edit(func(c *corev1.Container) {
			c.Env = append(c.Env, corev1.EnvVar{Name: "REDIS_USERNAME", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Key: "u"}}})
		}), "comes from a Secret"},
		{"matching replicas drift", statefulSet(func(s *appsv1.StatefulSet) { n := int32(3); s.Spec.Replicas = &n }), "MATCHING_REPLICAS is not its replica count 3"},
		{"partitions by hand", statefulSet(func(s *appsv1.StatefulSet) {
			c := &s.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "MATCHING_PARTITIONS", Value: "0-7"})
		}), "lists partitions by hand"},
		{"matching pods one by one", statefulSet(func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement }), "rebuild in turn"},
		{"matching autoscaled", scaledObject(func(s *chartcheck.ScaledObject) {
			s.Spec.ScaleTargetRef.Kind = "StatefulSet"
			s.Spec.ScaleTargetRef.Name = "clinjobs-matching"
		}), "scales a StatefulSet"},
		{"autoscaler of nothing", scaledObject(func(s *chartcheck.ScaledObject) { s.Spec.ScaleTargetRef.Name = "clinjobs-web" }), "which the rendering does not hold"},
		{"KEDA setting misspelt", scaledObject(func(s *chartcheck.ScaledObject) { s.Spec.Triggers[0].Metadata["lagTreshold"] = "10" }), `has no setting "lagTreshold"`},
		{"replicas fixed under an autoscaler", func(objs []chartcheck.Object) []chartcheck.Object {
			for _, o := range objs {
				if d, ok := o.Value.(*appsv1.Deployment); ok {
					n := int32(2)
					d.Spec.Replicas = &n
				}
			}
			return objs
		}, "an upgrade would undo the autoscaler"},
		{"Service of nothing", func(objs []chartcheck.Object) []chartcheck.Object {
			for _, o := range objs {
				if s, ok := o.Value.(*corev1.Service); ok {
					s.Spec.Selector = map[string]string{"app.kubernetes.io/name": "web"}
					break
				}
			}
			return objs
		}, "selects no workload's pods"},
		{"Service to a closed port", edit(func(c *corev1.Container) { c.Ports[0].Name = "api" }), "target port http is not a port of Deployment"},
		{"no PodDisruptionBudget", without("PodDisruptionBudget"), "no PodDisruptionBudget"},
		{"no NetworkPolicy", without("NetworkPolicy"), "no NetworkPolicy"},
		{"no workload", without("Deployment", "StatefulSet"), "no workload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := tt.breach(decodeFile(t, "testdata/good.yaml"))
			err := chartcheck.Check(objs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
