// Package chartcheck checks what the clinjobs Helm chart renders, offline:
// every object decoded strictly against the Kubernetes API types (an unknown
// or misspelt field is an error, as the API server's strict field validation
// would make it), then held to the deployment policy (Check). `make
// chart-check` renders each values file with helm and runs this package's
// tests over the renderings.
package chartcheck

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one decoded object of a rendering: its kind and name, and the
// typed value (*appsv1.Deployment, *corev1.Service, ...).
type Object struct {
	APIVersion, Kind, Name string
	// Source says where it came from, such as "# Source: clinjobs/templates/matching.yaml".
	Source string
	Value  any
}

// types are the kinds the chart may render, by apiVersion and kind. Any
// other kind is an error: a new kind comes with a decision to check it.
var types = map[[2]string]func() any{
	{"v1", "Service"}:                             func() any { return &corev1.Service{} },
	{"apps/v1", "Deployment"}:                     func() any { return &appsv1.Deployment{} },
	{"apps/v1", "StatefulSet"}:                    func() any { return &appsv1.StatefulSet{} },
	{"policy/v1", "PodDisruptionBudget"}:          func() any { return &policyv1.PodDisruptionBudget{} },
	{"networking.k8s.io/v1", "NetworkPolicy"}:     func() any { return &networkingv1.NetworkPolicy{} },
	{"autoscaling/v2", "HorizontalPodAutoscaler"}: func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	{"keda.sh/v1alpha1", "ScaledObject"}:          func() any { return &ScaledObject{} },
}

var (
	docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)
	sourceLine   = regexp.MustCompile(`(?m)^# Source: .*$`)
)

// Decode splits a rendering (YAML documents separated by ---) and decodes
// each document strictly into its API type: unknown fields, duplicate keys
// and unknown kinds are errors. Empty documents are skipped.
func Decode(rendering []byte) ([]Object, error) {
	var out []Object
	var errs []error
	for i, doc := range docSeparator.Split(string(rendering), -1) {
		if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
			continue
		}
		src := sourceLine.FindString(doc)
		var head struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Metadata   metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			errs = append(errs, fmt.Errorf("document %d %s: %w", i, src, err))
			continue
		}
		mk, ok := types[[2]string{head.APIVersion, head.Kind}]
		if !ok {
			errs = append(errs, fmt.Errorf("document %d %s: %s %s is not a kind the chart may render", i, src, head.APIVersion, head.Kind))
			continue
		}
		v := mk()
		if err := decodeStrict([]byte(doc), v); err != nil {
			errs = append(errs, fmt.Errorf("%s %s %s: %w", head.Kind, head.Metadata.Name, src, err))
			continue
		}
		out = append(out, Object{APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, Source: src, Value: v})
	}
	return out, errors.Join(errs...)
}

// decodeStrict decodes one YAML document as the API server's strict field
// validation would: field names matched case-sensitively (encoding/json
// alone would take clusterIp for clusterIP), unknown and duplicate fields
// refused.
func decodeStrict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// stripComments drops the lines that are only comments, so that a document
// holding nothing but "# Source:" counts as empty.
func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue
		}
		out = append(out, line)
	}
	return bytes.Join(out, []byte("\n"))
}

// ScaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) that
// the chart uses, transcribed from KEDA's API reference so that it can be
// decoded strictly without KEDA's module: a field the chart writes that is
// not here is an error, as a misspelt one would be in KEDA.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ScaledObjectSpec `json:"spec"`
}

// ScaledObjectSpec is KEDA's ScaledObject spec, the fields the chart uses.
type ScaledObjectSpec struct {
	ScaleTargetRef   ScaleTarget     `json:"scaleTargetRef"`
	PollingInterval  *int32          `json:"pollingInterval,omitempty"`
	CooldownPeriod   *int32          `json:"cooldownPeriod,omitempty"`
	MinReplicaCount  *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount  *int32          `json:"maxReplicaCount,omitempty"`
	Triggers         []ScaleTrigger  `json:"triggers"`
	Advanced         *map[string]any `json:"advanced,omitempty"`
	IdleReplicaCount *int32          `json:"idleReplicaCount,omitempty"`
}

// ScaleTarget names the workload a ScaledObject scales.
type ScaleTarget struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name"`
}

// ScaleTrigger is one of a ScaledObject's triggers.
type ScaleTrigger struct {
	Type       string            `json:"type"`
	Name       string            `json:"name,omitempty"`
	MetricType string            `json:"metricType,omitempty"`
	Metadata   map[string]string `json:"metadata"`
}
