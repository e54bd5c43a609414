package contractdiff_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/clinjobs/clinjobs/pkg/contractdiff"
	"github.com/clinjobs/clinjobs/pkg/openapi"
)

type input struct {
	Name string `json:"name"`
	Band string `json:"band,omitempty"`
}

type inputMore struct {
	Name string `json:"name"`
	Band string `json:"band,omitempty"`
	Note string `json:"note,omitempty"`
}

type inputStricter struct {
	Name string `json:"name" api:"maxLength=10"`
	Band string `json:"band"`
}

type view struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type viewLess struct {
	ID string `json:"id"`
}

type viewMore struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Extra string `json:"extra"`
}

func doc(t *testing.T, in, out any, bands []string, more bool) []byte {
	d := openapi.New("t", "1", "test")
	d.Enum("band", bands)
	d.Add("POST", "/things", openapi.Operation{Summary: "make", Request: in,
		Responses: map[int]openapi.Response{201: {Description: "made", Body: out}}, Problems: []int{422}})
	if more {
		d.Add("GET", "/things", openapi.Operation{Summary: "list", Responses: map[int]openapi.Response{200: {Description: "all", Body: []viewMore{}}}})
	}
	data, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	bands := []string{"4", "5"}
	base := doc(t, input{}, view{}, bands, false)
	for _, c := range []struct {
		name  string
		now   []byte
		wants []string // a part of each break expected; none: compatible
	}{
		{"the same", base, nil},
		{"an operation and an optional field added, an answer field added", doc(t, inputMore{}, viewMore{}, bands, true), nil},
		{"a band added", doc(t, input{}, view{}, []string{"4", "5", "6"}, false), nil},
		{"an answer field removed", doc(t, input{}, viewLess{}, bands, false), []string{"no longer always has name"}},
		{"a band removed", doc(t, input{}, view{}, []string{"5"}, false), []string{"/band: no longer takes 4"}},
		{"a field required and bounded", doc(t, inputStricter{}, view{}, bands, false), []string{"now requires band", "/name: maxLength is now 10"}},
	} {
		breaks, err := contractdiff.OpenAPI(base, c.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.wants) == 0 && len(breaks) > 0 {
			t.Errorf("%s: compatible, yet %q", c.name, breaks)
		}
		for _, w := range c.wants {
			if !slices.ContainsFunc(breaks, func(b string) bool { return strings.Contains(b, w) }) {
				t.Errorf("%s: no break %q among %q", c.name, w, breaks)
			}
		}
	}
	breaks, err := contractdiff.OpenAPI(doc(t, input{}, view{}, bands, true), base)
	if err != nil {
		t.Fatal(err)
	}
	if len(breaks) != 1 || !strings.Contains(breaks[0], "GET /things: removed") {
		t.Errorf("an operation removed: %q", breaks)
	}
}

func set(t *testing.T, edit func(m *descriptorpb.DescriptorProto, e *descriptorpb.EnumDescriptorProto)) []byte {
	m := &descriptorpb.DescriptorProto{Name: proto.String("Vacancy"), Field: []*descriptorpb.FieldDescriptorProto{
		{Name: proto.String("id"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
		{Name: proto.String("band"), Number: proto.Int32(2), Type: descriptorpb.FieldDescriptorProto_TYPE_ENUM.Enum(), TypeName: proto.String(".t.Band"), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
	}}
	e := &descriptorpb.EnumDescriptorProto{Name: proto.String("Band"), Value: []*descriptorpb.EnumValueDescriptorProto{
		{Name: proto.String("BAND_UNSPECIFIED"), Number: proto.Int32(0)}, {Name: proto.String("BAND_4"), Number: proto.Int32(4)},
	}}
	if edit != nil {
		edit(m, e)
	}
	data, err := protojson.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{
		{Name: proto.String("t.proto"), Package: proto.String("t"), MessageType: []*descriptorpb.DescriptorProto{m}, EnumType: []*descriptorpb.EnumDescriptorProto{e}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestProto(t *testing.T) {
	t.Parallel()
	base := set(t, nil)
	for _, c := range []struct {
		name  string
		edit  func(m *descriptorpb.DescriptorProto, e *descriptorpb.EnumDescriptorProto)
		wants []string
	}{
		{"the same", nil, nil},
		{"a field and a value added", func(m *descriptorpb.DescriptorProto, e *descriptorpb.EnumDescriptorProto) {
			m.Field = append(m.Field, &descriptorpb.FieldDescriptorProto{Name: proto.String("title"), Number: proto.Int32(3), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()})
			e.Value = append(e.Value, &descriptorpb.EnumValueDescriptorProto{Name: proto.String("BAND_5"), Number: proto.Int32(5)})
		}, nil},
		{"a field removed, its number reserved", func(m *descriptorpb.DescriptorProto, _ *descriptorpb.EnumDescriptorProto) {
			m.Field = m.Field[:1]
			m.ReservedRange = []*descriptorpb.DescriptorProto_ReservedRange{{Start: proto.Int32(2), End: proto.Int32(3)}}
		}, nil},
		{"a field removed", func(m *descriptorpb.DescriptorProto, _ *descriptorpb.EnumDescriptorProto) { m.Field = m.Field[:1] },
			[]string{"t.Vacancy.band = 2: field removed"}},
		{"a field's type changed", func(m *descriptorpb.DescriptorProto, _ *descriptorpb.EnumDescriptorProto) {
			m.Field[0].Type = descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum()
		}, []string{"t.Vacancy.id = 1: type changed"}},
		{"a field renamed and made repeated", func(m *descriptorpb.DescriptorProto, _ *descriptorpb.EnumDescriptorProto) {
			m.Field[0].Name = proto.String("ids")
			m.Field[0].Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		}, []string{"renamed to ids", "label changed"}},
		{"a value removed", func(_ *descriptorpb.DescriptorProto, e *descriptorpb.EnumDescriptorProto) { e.Value = e.Value[:1] },
			[]string{"t.Band.BAND_4 = 4: value removed"}},
	} {
		breaks, err := contractdiff.Proto(base, set(t, c.edit))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.wants) == 0 && len(breaks) > 0 {
			t.Errorf("%s: compatible, yet %q", c.name, breaks)
		}
		for _, w := range c.wants {
			if !slices.ContainsFunc(breaks, func(b string) bool { return strings.Contains(b, w) }) {
				t.Errorf("%s: no break %q among %q", c.name, w, breaks)
			}
		}
	}
}
