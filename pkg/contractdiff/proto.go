package contractdiff

import (
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Proto returns the breaking changes from the event contracts was to now,
// each a FileDescriptorSet in protojson: a message, enum or field removed
// (a field number no longer used and not reserved), a field's number
// reused with another type, label or name, an enum value removed or
// renamed. Stored events written under was must read as they did.
func Proto(was, now []byte) ([]string, error) {
	var o, n descriptorpb.FileDescriptorSet
	if err := protojson.Unmarshal(was, &o); err != nil {
		return nil, fmt.Errorf("the old contracts: %w", err)
	}
	if err := protojson.Unmarshal(now, &n); err != nil {
		return nil, fmt.Errorf("the new contracts: %w", err)
	}
	om, oe := index(&o)
	nm, ne := index(&n)
	var breaks []string
	add := func(where, format string, args ...any) {
		breaks = append(breaks, where+": "+fmt.Sprintf(format, args...))
	}
	for _, name := range keys(om) {
		was, now := om[name], nm[name]
		if now == nil {
			add(name, "message removed")
			continue
		}
		fields := map[int32]*descriptorpb.FieldDescriptorProto{}
		for _, f := range now.GetField() {
			fields[f.GetNumber()] = f
		}
		for _, f := range was.GetField() {
			where := fmt.Sprintf("%s.%s = %d", name, f.GetName(), f.GetNumber())
			nf := fields[f.GetNumber()]
			if nf == nil {
				if !reserved(now, f) {
					add(where, "field removed without reserving its number and name")
				}
				continue
			}
			if nf.GetType() != f.GetType() || nf.GetTypeName() != f.GetTypeName() {
				add(where, "type changed from %s%s to %s%s", f.GetType(), f.GetTypeName(), nf.GetType(), nf.GetTypeName())
			}
			if nf.GetLabel() != f.GetLabel() {
				add(where, "label changed from %s to %s", f.GetLabel(), nf.GetLabel())
			}
			if nf.GetName() != f.GetName() {
				add(where, "renamed to %s (the JSON form and the generated code change)", nf.GetName())
			}
			if (nf.OneofIndex == nil) != (f.OneofIndex == nil) {
				add(where, "moved into or out of a oneof")
			}
		}
	}
	for _, name := range keys(oe) {
		was, now := oe[name], ne[name]
		if now == nil {
			add(name, "enum removed")
			continue
		}
		values := map[int32]string{}
		for _, v := range now.GetValue() {
			values[v.GetNumber()] = v.GetName()
		}
		for _, v := range was.GetValue() {
			where := fmt.Sprintf("%s.%s = %d", name, v.GetName(), v.GetNumber())
			nv, ok := values[v.GetNumber()]
			switch {
			case !ok && !slices.ContainsFunc(now.GetReservedRange(), func(r *descriptorpb.EnumDescriptorProto_EnumReservedRange) bool {
				return v.GetNumber() >= r.GetStart() && v.GetNumber() <= r.GetEnd()
			}):
				add(where, "value removed without reserving its number")
			case ok && nv != v.GetName():
				add(where, "renamed to %s", nv)
			}
		}
	}
	sort.Strings(breaks)
	return breaks, nil
}

// index returns every message and enum of set by full name.
func index(set *descriptorpb.FileDescriptorSet) (map[string]*descriptorpb.DescriptorProto, map[string]*descriptorpb.EnumDescriptorProto) {
	msgs := map[string]*descriptorpb.DescriptorProto{}
	enums := map[string]*descriptorpb.EnumDescriptorProto{}
	var walk func(prefix string, ms []*descriptorpb.DescriptorProto, es []*descriptorpb.EnumDescriptorProto)
	walk = func(prefix string, ms []*descriptorpb.DescriptorProto, es []*descriptorpb.EnumDescriptorProto) {
		for _, e := range es {
			enums[prefix+e.GetName()] = e
		}
		for _, m := range ms {
			msgs[prefix+m.GetName()] = m
			walk(prefix+m.GetName()+".", m.GetNestedType(), m.GetEnumType())
		}
	}
	for _, f := range set.GetFile() {
		walk(f.GetPackage()+".", f.GetMessageType(), f.GetEnumType())
	}
	return msgs, enums
}

// reserved says whether m reserves f's number (a field number, once used,
// must never be used again: old events still carry it).
func reserved(m *descriptorpb.DescriptorProto, f *descriptorpb.FieldDescriptorProto) bool {
	for _, r := range m.GetReservedRange() {
		if f.GetNumber() >= r.GetStart() && f.GetNumber() < r.GetEnd() {
			return true
		}
	}
	return false
}
