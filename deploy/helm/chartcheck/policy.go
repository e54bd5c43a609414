package chartcheck

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ownImage is an image of the project's own (clinjobs/<service>, under any
// registry) with a pinned tag or a digest.
var ownImage = regexp.MustCompile(`^([a-z0-9.:-]+/)*clinjobs/(ingest|matching|notification|dashboard|web)(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$`)

// secretName is an environment variable that would hold a secret; such a
// variable is allowed only as a *_FILE path (or a user name).
var secretName = regexp.MustCompile(`(PASSWORD|SECRET|TOKEN|_KEY)$`)

// workload is a Deployment or StatefulSet, as the policy sees it.
type workload struct {
	kind, name string
	labels     map[string]string
	pod        corev1.PodSpec
}

// Check holds a decoded rendering to the deployment policy and returns
// every breach, joined:
//   - every container has startup-or-liveness and readiness probes, CPU and
//     memory requests and limits, runs as non-root with a read-only root
//     file system, no privilege escalation, every capability dropped and
//     the RuntimeDefault seccomp profile, from an image of the project's
//     own with a pinned tag;
//   - no environment variable carries a secret's value (secrets are files);
//   - every workload is selected by a PodDisruptionBudget and by a
//     NetworkPolicy that governs both its ingress and its egress;
//   - every autoscaler targets a workload of the rendering, and KEDA
//     triggers name only the settings their scaler reads;
//   - the Deployments that autoscalers scale leave the count to them;
//   - every Service selects a workload's pods, on ports they open;
//   - the matching StatefulSet tells its pods the replica count it has.
func Check(objs []Object) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	var loads []workload
	var pdbs []*policyv1.PodDisruptionBudget
	var nps []*networkingv1.NetworkPolicy
	for _, o := range objs {
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			loads = append(loads, workload{o.Kind, o.Name, v.Spec.Template.Labels, v.Spec.Template.Spec})
			if !selects(v.Spec.Selector, v.Spec.Template.Labels) {
				fail("Deployment %s: its selector does not select its own pods", o.Name)
			}
		case *appsv1.StatefulSet:
			loads = append(loads, workload{o.Kind, o.Name, v.Spec.Template.Labels, v.Spec.Template.Spec})
			if !selects(v.Spec.Selector, v.Spec.Template.Labels) {
				fail("StatefulSet %s: its selector does not select its own pods", o.Name)
			}
			errs = append(errs, checkMatchingReplicas(o.Name, v)...)
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, v)
		case *networkingv1.NetworkPolicy:
			nps = append(nps, v)
		}
	}
	if len(loads) == 0 {
		fail("the rendering has no workload")
	}
	for _, w := range loads {
		errs = append(errs, checkPod(w)...)
		if !slices.ContainsFunc(pdbs, func(p *policyv1.PodDisruptionBudget) bool { return selects(p.Spec.Selector, w.labels) }) {
			fail("%s %s: no PodDisruptionBudget selects its pods", w.kind, w.name)
		}
		if !slices.ContainsFunc(nps, func(n *networkingv1.NetworkPolicy) bool {
			return selects(&n.Spec.PodSelector, w.labels) &&
				slices.Contains(n.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
				slices.Contains(n.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}) {
			fail("%s %s: no NetworkPolicy governs both its ingress and egress", w.kind, w.name)
		}
	}
	errs = append(errs, checkAutoscalers(objs, loads)...)
	errs = append(errs, checkServices(objs, loads)...)
	return errors.Join(errs...)
}

// checkServices: every Service selects the pods of a workload of the
// rendering, and its target ports are ports those pods name or open.
func checkServices(objs []Object, loads []workload) []error {
	var errs []error
	for _, o := range objs {
		svc, ok := o.Value.(*corev1.Service)
		if !ok {
			continue
		}
		sel := &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}
		i := slices.IndexFunc(loads, func(w workload) bool { return selects(sel, w.labels) })
		if i < 0 {
			errs = append(errs, fmt.Errorf("service %s: selects no workload's pods", o.Name))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if !opens(loads[i].pod, p.TargetPort.String()) {
				errs = append(errs, fmt.Errorf("service %s: target port %s is not a port of %s %s", o.Name, p.TargetPort.String(), loads[i].kind, loads[i].name))
			}
		}
	}
	return errs
}

// opens reports whether a container of the pod has a port of that name or number.
func opens(pod corev1.PodSpec, port string) bool {
	for _, c := range pod.Containers {
		for _, cp := range c.Ports {
			if cp.Name == port || fmt.Sprint(cp.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

// selects reports whether a label selector selects pods with these labels;
// an empty or missing selector selects nothing here (it would select every
// pod of the namespace, which is never what the chart means).
func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(podLabels))
}

func checkPod(w workload) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: "+format, append([]any{w.kind, w.name}, args...)...))
	}
	pod := w.pod
	psc := pod.SecurityContext
	podNonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
	podSeccomp := psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		fail("the pod mounts a service account token it does not need")
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		fail("the pod shares the host's namespaces")
	}
	if len(pod.Containers) == 0 {
		fail("no containers")
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		cfail := func(format string, args ...any) { fail("container %s: "+format, append([]any{c.Name}, args...)...) }
		if !ownImage.MatchString(c.Image) {
			cfail("image %q is not one of the project's own (clinjobs/<service>) with a pinned tag", c.Image)
		}
		if strings.HasSuffix(c.Image, ":latest") {
			cfail("image %q is not pinned", c.Image)
		}
		if c.ReadinessProbe == nil {
			cfail("no readiness probe")
		}
		if c.LivenessProbe == nil {
			cfail("no liveness probe")
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
				cfail("no %s request", r)
			}
			if q, ok := c.Resources.Limits[r]; !ok || q.IsZero() {
				cfail("no %s limit", r)
			}
			if req, lim := c.Resources.Requests[r], c.Resources.Limits[r]; !req.IsZero() && !lim.IsZero() && req.Cmp(lim) > 0 {
				cfail("%s request %s above its limit %s", r, req.String(), lim.String())
			}
		}
		sc := c.SecurityContext
		if sc == nil {
			cfail("no security context")
			continue
		}
		if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) || sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			cfail("may run as root (runAsNonRoot is not true)")
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			cfail("runs as user 0")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			cfail("allows privilege escalation")
		}
		if sc.Privileged != nil && *sc.Privileged {
			cfail("is privileged")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			cfail("root file system is writable")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			cfail("does not drop every capability")
		}
		if !podSeccomp && (sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault) {
			cfail("no RuntimeDefault seccomp profile")
		}
		for _, e := range c.Env {
			if secretName.MatchString(e.Name) && !strings.HasSuffix(e.Name, "_FILE") {
				cfail("environment variable %s would carry a secret: mount it as a file and name it in %s_FILE", e.Name, e.Name)
			}
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				cfail("environment variable %s comes from a Secret: mount it as a file instead", e.Name)
			}
		}
	}
	return errs
}

// checkMatchingReplicas: the matching pods derive their partitions from
// MATCHING_ORDINAL (their name) and MATCHING_REPLICAS; a count that is not
// the StatefulSet's own would leave partitions unowned or owned twice.
func checkMatchingReplicas(name string, s *appsv1.StatefulSet) []error {
	for _, c := range s.Spec.Template.Spec.Containers {
		if c.Name != "matching" {
			continue
		}
		var ordinal, replicas *corev1.EnvVar
		for i, e := range c.Env {
			switch e.Name {
			case "MATCHING_ORDINAL":
				ordinal = &c.Env[i]
			case "MATCHING_REPLICAS":
				replicas = &c.Env[i]
			case "MATCHING_PARTITIONS":
				return []error{fmt.Errorf("StatefulSet %s: MATCHING_PARTITIONS lists partitions by hand; derive them from MATCHING_ORDINAL and MATCHING_REPLICAS", name)}
			}
		}
		if ordinal == nil || ordinal.ValueFrom == nil || ordinal.ValueFrom.FieldRef == nil || ordinal.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			return []error{fmt.Errorf("StatefulSet %s: MATCHING_ORDINAL is not the pod's name", name)}
		}
		want := int32(1)
		if s.Spec.Replicas != nil {
			want = *s.Spec.Replicas
		}
		if replicas == nil || replicas.Value != fmt.Sprint(want) {
			return []error{fmt.Errorf("StatefulSet %s: MATCHING_REPLICAS is not its replica count %d", name, want)}
		}
		if s.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			return []error{fmt.Errorf("StatefulSet %s: pods start one after another, so the replicas rebuild in turn, not at once", name)}
		}
	}
	return nil
}

// kedaSettings are the metadata keys each KEDA scaler the chart uses reads
// (KEDA's scaler reference): a misspelt key is ignored by KEDA, silently.
var kedaSettings = map[string][]string{
	"nats-jetstream": {"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold", "activationLagThreshold", "useHttps"},
	"cpu":            {"value", "containerName"},
}

func checkAutoscalers(objs []Object, loads []workload) []error {
	var errs []error
	target := func(who, kind, name string) {
		if !slices.ContainsFunc(loads, func(w workload) bool { return w.kind == kind && w.name == name }) {
			errs = append(errs, fmt.Errorf("%s: scales %s %s, which the rendering does not hold", who, kind, name))
		}
	}
	for _, o := range objs {
		switch v := o.Value.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			target("HorizontalPodAutoscaler "+o.Name, v.Spec.ScaleTargetRef.Kind, v.Spec.ScaleTargetRef.Name)
			fixed(objs, "HorizontalPodAutoscaler "+o.Name, v.Spec.ScaleTargetRef.Name, &errs)
		case *ScaledObject:
			kind := v.Spec.ScaleTargetRef.Kind
			if kind == "" {
				kind = "Deployment"
			}
			target("ScaledObject "+o.Name, kind, v.Spec.ScaleTargetRef.Name)
			fixed(objs, "ScaledObject "+o.Name, v.Spec.ScaleTargetRef.Name, &errs)
			if kind == "StatefulSet" {
				errs = append(errs, fmt.Errorf("ScaledObject %s: scales a StatefulSet; matching's replica count is its partitioning, changed by procedure only", o.Name))
			}
			for _, t := range v.Spec.Triggers {
				known, ok := kedaSettings[t.Type]
				if !ok {
					errs = append(errs, fmt.Errorf("ScaledObject %s: trigger type %q is not one the policy knows", o.Name, t.Type))
					continue
				}
				for k, val := range t.Metadata {
					if !slices.Contains(known, k) {
						errs = append(errs, fmt.Errorf("ScaledObject %s: %s trigger has no setting %q", o.Name, t.Type, k))
					}
					if val == "" {
						errs = append(errs, fmt.Errorf("ScaledObject %s: %s trigger setting %q is empty", o.Name, t.Type, k))
					}
				}
			}
		}
	}
	return errs
}

// fixed adds an error when the Deployment an autoscaler scales also sets
// its replica count: every helm upgrade would then reset what the
// autoscaler chose.
func fixed(objs []Object, who, name string, errs *[]error) {
	for _, o := range objs {
		if d, ok := o.Value.(*appsv1.Deployment); ok && o.Name == name && d.Spec.Replicas != nil {
			*errs = append(*errs, fmt.Errorf("%s: Deployment %s sets replicas too; an upgrade would undo the autoscaler", who, name))
		}
	}
}
