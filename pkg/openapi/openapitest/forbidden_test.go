package openapitest_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
)

// order is a request with something of each kind of rule.
type order struct {
	Item     string   `json:"item" api:"minLength=2,maxLength=5"`
	Count    int      `json:"count" api:"min=1,max=9"`
	Colour   string   `json:"colour,omitempty"`
	Tags     []string `json:"tags,omitempty" api:"maxItems=3"`
	Due      string   `json:"due,omitempty" api:"format=date"`
	Note     *string  `json:"note,omitempty" api:"nullable"`
	Delivery address  `json:"delivery"`
}

type address struct {
	Postcode string `json:"postcode" api:"minLength=5"`
}

func orders() *openapi.Document {
	d := openapi.New("orders", "test", "a test API")
	d.Enum("colour", []string{"red", "blue"})
	d.Add("POST", "/orders/{id}", openapi.Operation{Summary: "order", Request: order{},
		Responses: map[int]openapi.Response{204: {Description: "ordered"}}, Problems: []int{422}})
	d.Add("GET", "/orders", openapi.Operation{Summary: "orders",
		Params: []openapi.Param{{Name: "limit", In: "query", Type: "integer", Min: new(1.0), Max: new(10.0)},
			{Name: "sort", In: "query", Enum: []string{"asc", "desc"}}, {Name: "q", In: "query"}},
		Responses: map[int]openapi.Response{200: {Description: "orders", Body: []order{}}}, Problems: []int{422}})
	return d
}

// TestForbidden: the cases come from the schema (each rule broken once,
// nested objects too), every one is forbidden, and what the document
// allows (a nullable note set to null) is not among them.
func TestForbidden(t *testing.T) {
	t.Parallel()
	valid := map[string]any{"item": "bolt", "count": 2, "colour": "red", "tags": []string{"a"}, "due": "2027-01-31",
		"note": "x", "delivery": map[string]any{"postcode": "LS9 7TF"}}
	cases := openapitest.Forbidden(t, orders(), "POST", "/orders/{id}", valid)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
		var v any
		if err := json.Unmarshal(c.Body, &v); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if m, ok := v.(map[string]any); ok {
			if note, ok := m["note"]; ok && note == nil {
				t.Errorf("%s: a null note is allowed, yet it is a case", c.Name)
			}
		}
	}
	for _, want := range []string{"/item left out", "/item shorter than minLength", "/item longer than maxLength",
		"/count below minimum", "/count above maximum", "/count of the wrong type", "/colour outside its enum",
		"/due not a date", "/delivery/postcode left out", "/delivery/postcode shorter than minLength",
		"/delivery with an unknown field", "body with an unknown field", "/tags/0 of the wrong type"} {
		if !slices.Contains(names, want) {
			t.Errorf("no case %q among %q", want, names)
		}
	}
	if slices.Contains(names, "/note null") {
		t.Errorf("a null note is allowed, yet it is a case")
	}
}

func TestForbiddenQueries(t *testing.T) {
	t.Parallel()
	cases := openapitest.ForbiddenQueries(t, orders(), "GET", "/orders", url.Values{"limit": {"5"}})
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	want := []string{"limit not a number", "limit a fraction", "limit below minimum", "limit above maximum", "sort outside its enum"}
	if !slices.Equal(names, want) {
		t.Errorf("cases %q, want %q (q, a free string, has none)", names, want)
	}
}
