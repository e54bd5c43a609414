package openapi_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi"
)

type site struct {
	Name string `json:"name"`
}

type vacancy struct {
	Title    string   `json:"title" api:"minLength=3,maxLength=200"`
	Site     *site    `json:"site,omitempty" api:"required"`
	Salary   *int     `json:"salary" api:"required,min=0,max=200000"`
	Closes   string   `json:"closes" api:"format=date"`
	Code     string   `json:"code" pattern:"^[A-Z0-9]{3,6}$"`
	Subjects []string `json:"subjects" api:"required,minItems=1,maxItems=3,minLength=2"`
	Notes    []string `json:"notes"`
	Tags     []string `json:"tags,omitempty"`
	Ends     *string  `json:"ends,omitempty" api:"nullable,format=date"`
	Band     string   `json:"band,omitempty"`
	Bands    []string `json:"bands,omitempty"`
}

func schemas(t *testing.T, d *openapi.Document) map[string]any {
	t.Helper()
	data, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

func TestTags(t *testing.T) {
	t.Parallel()
	d := openapi.New("t", "1", "tags")
	d.Enum("band", []string{"5", "6"})
	d.Enum("bands", []string{"5", "6"})
	d.Add("POST", "/v", openapi.Operation{Summary: "post", Request: vacancy{}, Responses: map[int]openapi.Response{201: {Description: "made"}}})
	v := schemas(t, d)["vacancy"].(map[string]any)
	props := v["properties"].(map[string]any)
	want := map[string]string{
		"title":    `{"maxLength":200,"minLength":3,"type":"string"}`,
		"site":     `{"$ref":"#/components/schemas/site"}`,
		"salary":   `{"maximum":200000,"minimum":0,"type":"integer"}`,
		"closes":   `{"format":"date","type":"string"}`,
		"code":     `{"pattern":"^[A-Z0-9]{3,6}$","type":"string"}`,
		"subjects": `{"items":{"minLength":2,"type":"string"},"maxItems":3,"minItems":1,"type":"array"}`,
		"notes":    `{"items":{"type":"string"},"type":["array","null"]}`,
		"tags":     `{"items":{"type":"string"},"type":"array"}`,
		"ends":     `{"format":"date","type":["string","null"]}`,
		"band":     `{"enum":["","5","6"],"type":"string"}`,
		"bands":    `{"items":{"enum":["5","6"],"type":"string"},"type":"array"}`,
	}
	for name, w := range want {
		got, _ := json.Marshal(props[name])
		if string(got) != w {
			t.Errorf("%s: %s, want %s", name, got, w)
		}
	}
	var required []string
	for _, r := range v["required"].([]any) {
		required = append(required, r.(string))
	}
	if want := []string{"closes", "code", "notes", "salary", "site", "subjects", "title"}; !reflect.DeepEqual(required, want) {
		t.Errorf("required %v, want %v", required, want)
	}
}

func TestPatchRequiresNothing(t *testing.T) {
	t.Parallel()
	d := openapi.New("t", "1", "patch")
	d.Add("PATCH", "/v", openapi.Operation{Summary: "patch", Request: vacancy{}, Patch: true, Responses: map[int]openapi.Response{200: {Description: "patched"}}})
	patch := schemas(t, d)["vacancyPatch"].(map[string]any)
	if _, ok := patch["required"]; ok {
		t.Errorf("a patch requires %v", patch["required"])
	}
	if len(patch["properties"].(map[string]any)) != 11 {
		t.Errorf("patch properties %v", patch["properties"])
	}
}

func TestBadTagsAreRefused(t *testing.T) {
	t.Parallel()
	for _, tag := range []string{"requird", "min=x", "required=1", "format", "minItems=1"} {
		t.Run(tag, func(t *testing.T) {
			typ := reflect.StructOf([]reflect.StructField{{Name: "X", Type: reflect.TypeOf(""), Tag: reflect.StructTag(`json:"x" api:"` + tag + `"`)}})
			d := openapi.New("t", "1", "bad")
			defer func() {
				if recover() == nil {
					t.Errorf("api:%q was taken", tag)
				}
			}()
			d.Add("POST", "/v", openapi.Operation{Summary: "post", Request: reflect.New(typ).Elem().Interface(), Responses: map[int]openapi.Response{201: {Description: "made"}}})
		})
	}
}
