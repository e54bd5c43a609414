// Package openapi describes an HTTP API as an OpenAPI 3.1 document built in
// Go: operations name the Go types they read and answer, and the schemas are
// reflected from those types, so the document says what the code does. Each
// service serves its document at /openapi.json; the openapitest package
// checks that every route is in it and that real answers match it.
package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Auth names how an operation is authorised.
type Auth string

// The credentials of the system.
const (
	None      Auth = ""
	Trust     Auth = "trustKey"
	Candidate Auth = "candidateToken"
	Operator  Auth = "operatorKey"
)

// Param is a path, query or header parameter.
type Param struct {
	Name        string
	In          string // path, query or header
	Required    bool
	Description string
	// Type is string, integer, number or boolean. Default: string.
	Type string
}

// Response is one answer of an operation.
type Response struct {
	Description string
	// Body is a value of the answer's Go type; nil for no body.
	Body any
	// ContentType of the body. Default: application/json.
	ContentType string
	// Headers names headers the answer carries.
	Headers []string
	// Alternatives are other content types the answer may come in (by
	// Accept), with a value of each one's Go type.
	Alternatives map[string]any
}

// Operation is one method on one path.
type Operation struct {
	Summary string
	Auth    Auth
	Params  []Param
	// Request is a value of the body's Go type; nil for no body.
	Request any
	// RequestTypes are the accepted content types. Default: application/json.
	RequestTypes []string
	Responses    map[int]Response
	// Problems are the statuses answered with a problem document.
	Problems []int
}

// Document is an OpenAPI 3.1 document under construction.
type Document struct {
	title, version, description string
	paths                       map[string]map[string]any
	schemas                     map[string]any
	types                       map[string]reflect.Type
	enums                       map[string][]string
}

// New returns a document describing an API.
func New(title, version, description string) *Document {
	return &Document{title: title, version: version, description: description,
		paths: map[string]map[string]any{}, schemas: map[string]any{}, types: map[string]reflect.Type{}, enums: map[string][]string{}}
}

// Enum gives the allowed values of every string property (or array of
// strings) named property in the document's schemas.
func (d *Document) Enum(property string, values []string) { d.enums[property] = values }

// Add describes method on path (OpenAPI form: /v1/vacancies/{id}).
func (d *Document) Add(method, path string, op Operation) {
	o := map[string]any{"summary": op.Summary, "operationId": operationID(method, path)}
	if op.Auth != None {
		o["security"] = []any{map[string]any{string(op.Auth): []string{}}}
	}
	var params []any
	for _, p := range pathParams(path) {
		params = append(params, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, p := range op.Params {
		t := p.Type
		if t == "" {
			t = "string"
		}
		params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required,
			"description": p.Description, "schema": map[string]any{"type": t}})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Request != nil {
		types := op.RequestTypes
		if len(types) == 0 {
			types = []string{"application/json"}
		}
		content := map[string]any{}
		for _, t := range types {
			content[t] = map[string]any{"schema": d.schemaOf(reflect.TypeOf(op.Request))}
		}
		o["requestBody"] = map[string]any{"required": true, "content": content}
	}
	responses := map[string]any{}
	for status, r := range op.Responses {
		resp := map[string]any{"description": r.Description}
		if r.Body != nil {
			ct := r.ContentType
			if ct == "" {
				ct = "application/json"
			}
			content := map[string]any{ct: map[string]any{"schema": d.schemaOf(reflect.TypeOf(r.Body))}}
			for alt, body := range r.Alternatives {
				content[alt] = map[string]any{"schema": d.schemaOf(reflect.TypeOf(body))}
			}
			resp["content"] = content
		}
		if len(r.Headers) > 0 {
			hs := map[string]any{}
			for _, h := range r.Headers {
				hs[h] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
			resp["headers"] = hs
		}
		responses[strconv.Itoa(status)] = resp
	}
	for _, status := range op.Problems {
		responses[strconv.Itoa(status)] = map[string]any{
			"description": http.StatusText(status),
			"content":     map[string]any{problem.ContentType: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}},
		}
	}
	o["responses"] = responses
	if d.paths[path] == nil {
		d.paths[path] = map[string]any{}
	}
	d.paths[path][strings.ToLower(method)] = o
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// Paths returns every (method, path) described, for coverage checks.
func (d *Document) Paths() map[string][]string {
	out := map[string][]string{}
	for p, ops := range d.paths {
		for m := range ops {
			out[p] = append(out[p], strings.ToUpper(m))
		}
		slices.Sort(out[p])
	}
	return out
}

// JSON returns the document.
func (d *Document) JSON() ([]byte, error) {
	d.schemaOf(reflect.TypeOf(problem.Details{}))
	d.schemas["Problem"] = d.schemas["Details"]
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": d.title, "version": d.version, "description": d.description},
		"paths":   d.paths,
		"components": map[string]any{
			"schemas": d.schemas,
			"securitySchemes": map[string]any{
				string(Trust):     map[string]any{"type": "http", "scheme": "bearer", "description": "A trust's API key (cjt....), issued by an operator."},
				string(Candidate): map[string]any{"type": "http", "scheme": "bearer", "description": "The candidate's token (cjc....), issued at sign-up."},
				string(Operator):  map[string]any{"type": "http", "scheme": "bearer", "description": "The operator key."},
			},
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	return data, nil
}

// Handler serves the document.
func (d *Document) Handler() (gin.HandlerFunc, error) {
	data, err := d.JSON()
	if err != nil {
		return nil, err
	}
	return func(c *gin.Context) { c.Data(http.StatusOK, "application/json", data) }, nil
}

var timeType = reflect.TypeOf(time.Time{})
var rawType = reflect.TypeOf(json.RawMessage{})

// schemaOf returns the schema of t, adding named structs to the components.
func (d *Document) schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType || t.Kind() == reflect.Interface:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		// A nil slice is written as null.
		return map[string]any{"type": []string{"array", "null"}, "items": d.schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": d.schemaOf(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return d.structSchema(t)
		}
		// Two types of one name in different packages are told apart by
		// their package's name.
		if other, ok := d.types[name]; ok && other != t {
			name = path.Base(t.PkgPath()) + name
		}
		d.types[name] = t
		if _, ok := d.schemas[name]; !ok {
			d.schemas[name] = map[string]any{} // placeholder against recursion
			d.schemas[name] = d.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (d *Document) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	d.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		slices.Sort(required)
		s["required"] = required
	}
	return s
}

func (d *Document) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			d.fields(ft, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := d.schemaOf(f.Type)
		if values, ok := d.enums[name]; ok {
			s = withEnum(s, values, strings.Contains(opts, "omitempty"))
		}
		if f.Type.Kind() == reflect.Pointer && !strings.Contains(opts, "omitempty") {
			s = map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func withEnum(s map[string]any, values []string, optional bool) map[string]any {
	if optional {
		values = append([]string{""}, values...)
	}
	if s["type"] == "string" {
		return map[string]any{"type": "string", "enum": values}
	}
	if items, ok := s["items"].(map[string]any); ok && items["type"] == "string" {
		return map[string]any{"type": s["type"], "items": map[string]any{"type": "string", "enum": values}}
	}
	return s
}
