// Package jobs is the clinical engineering job market as the outside world
// writes and reads it: the JSON of vacancies and candidate profiles, checked
// field by field into the event records of proto/ (the one representation the
// services share), and turned back into JSON views. Enum values are written as
// lower-case words ("stp_trainee", "8a", "2:1").
package jobs

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Enum is a protobuf enum of the domain.
type Enum interface {
	~int32
	Descriptor() protoreflect.EnumDescriptor
	Number() protoreflect.EnumNumber
}

// Names the JSON uses (keyed by full name: enum values are scoped beside
// their enum, not in it) where the lower-cased protobuf name would not be what
// people write.
var enumNameOverrides = map[protoreflect.FullName]string{
	"clinjobs.events.v1.DEGREE_CLASS_UPPER_SECOND": "2:1",
	"clinjobs.events.v1.DEGREE_CLASS_LOWER_SECOND": "2:2",
}

// retired are enum values kept only to read records of before (IPEM as a
// "registration": it is a professional body): never parsed or listed.
var retired = map[protoreflect.FullName]bool{
	"clinjobs.events.v1.REGISTRATION_IPEM": true,
}

func deprecated(v protoreflect.EnumValueDescriptor) bool { return retired[v.FullName()] }

func enumName(v protoreflect.EnumValueDescriptor, prefix string) string {
	if n, ok := enumNameOverrides[v.FullName()]; ok {
		return n
	}
	return strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix))
}

func enumPrefix(d protoreflect.EnumDescriptor) string {
	return strings.TrimSuffix(string(d.Values().Get(0).Name()), "UNSPECIFIED")
}

// Name returns the JSON name of v, or "" for the unspecified value.
func Name[E Enum](v E) string {
	d := v.Descriptor()
	ev := d.Values().ByNumber(v.Number())
	if ev == nil || ev.Number() == 0 {
		return ""
	}
	return enumName(ev, enumPrefix(d))
}

// Names returns the JSON names of every value of E, in number order.
func Names[E Enum]() []string {
	var zero E
	d := zero.Descriptor()
	prefix := enumPrefix(d)
	var out []string
	for i := 1; i < d.Values().Len(); i++ {
		if v := d.Values().Get(i); !deprecated(v) {
			out = append(out, enumName(v, prefix))
		}
	}
	return out
}

// Parse returns the value of E named s (its JSON name, or the lower-cased
// protobuf name), and whether there is one. The unspecified value is never
// parsed.
func Parse[E Enum](s string) (E, bool) {
	var zero E
	d := zero.Descriptor()
	prefix := enumPrefix(d)
	s = strings.ToLower(strings.TrimSpace(s))
	for i := 1; i < d.Values().Len(); i++ {
		v := d.Values().Get(i)
		if deprecated(v) {
			continue
		}
		if s == enumName(v, prefix) || s == strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix)) {
			return E(v.Number()), true
		}
	}
	return zero, false
}

// NamesOf returns the JSON names of vs.
func NamesOf[E Enum](vs []E) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, Name(v))
	}
	return out
}
