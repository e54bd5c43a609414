// Package apidocs gathers the contracts integrators build on: each
// service's OpenAPI document and the event contracts' descriptors, as the
// files committed under api/ at the top of the repository. A test holds
// those files to what the code serves; make contract-check compares them
// with main's to catch a breaking change.
package apidocs

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/clinjobs/clinjobs/pkg/openapi"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/dashboard"
	"github.com/clinjobs/clinjobs/services/ingest"
	"github.com/clinjobs/clinjobs/services/matching"
	"github.com/clinjobs/clinjobs/services/notification"
)

// Documents returns each service's OpenAPI document by service name: the
// one it serves at /openapi.json.
func Documents() map[string]*openapi.Document {
	return map[string]*openapi.Document{
		"ingest": ingest.Document(), "matching": matching.Document(),
		"notification": notification.Document(), "dashboard": dashboard.Document(),
	}
}

// Files returns the contents of api/: <service>.json for each document and
// events.json, the event contracts as a protobuf FileDescriptorSet in JSON
// (what buf and protoc call an image), by file name.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, doc := range Documents() {
		data, err := doc.JSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name+".json"] = append(data, '\n')
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, f := range []protoreflect.FileDescriptor{
		eventsv1.File_clinjobs_events_v1_domain_proto, eventsv1.File_clinjobs_events_v1_candidate_proto,
		eventsv1.File_clinjobs_events_v1_vacancy_proto, eventsv1.File_clinjobs_events_v1_alert_proto,
	} {
		set.File = append(set.File, protodesc.ToFileDescriptorProto(f))
	}
	// protojson's output is not stable byte for byte; indenting it again
	// through encoding/json makes it so.
	data, err := protojson.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	data, err = json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out["events.json"] = append(data, '\n')
	return out, nil
}
