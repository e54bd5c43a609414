// Package openapi describes an HTTP API as an OpenAPI 3.1 document built in
// Go: operations name the Go types they read and answer, and the schemas are
// reflected from those types, so the document says what the code does. Each
// service serves its document at /openapi.json; the openapitest package
// checks that every route is in it and that real answers match it.
package openapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path"
	"reflect"
	"regexp"
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
	// Min and Max are a number's inclusive bounds, if any.
	Min, Max *float64
	// Enum lists a string's values, if it has a list.
	Enum []string
	// Format is a string's format (date, for one), if any.
	Format string
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
	// AuthOptional are credentials the operation takes but does not need
	// (a read that shows more to whom it may): listed with "none".
	AuthOptional []Auth
	Params       []Param
	// Request is a value of the body's Go type; nil for no body.
	Request any
	// RequestTypes are the accepted content types. Default: application/json.
	RequestTypes []string
	// Patch says the request changes only the fields it carries: its
	// schema is Request's with no field required.
	Patch     bool
	Responses map[int]Response
	// Problems are the statuses answered with a problem document.
	Problems []int
}

// Document is an OpenAPI 3.1 document under construction.
type Document struct {
	title, version, description string
	paths                       map[string]map[string]any
	webhooks                    map[string]any
	schemas                     map[string]any
	types                       map[string]reflect.Type
	enums                       map[string][]string
}

// New returns a document describing an API.
func New(title, version, description string) *Document {
	return &Document{title: title, version: version, description: description,
		paths: map[string]map[string]any{}, webhooks: map[string]any{}, schemas: map[string]any{}, types: map[string]reflect.Type{}, enums: map[string][]string{}}
}

// Enum gives the allowed values of every string property (or array of
// strings) named property in the document's schemas.
func (d *Document) Enum(property string, values []string) { d.enums[property] = values }

// Add describes method on path (OpenAPI form: /v1/vacancies/{id}).
func (d *Document) Add(method, path string, op Operation) {
	if d.paths[path] == nil {
		d.paths[path] = map[string]any{}
	}
	d.paths[path][strings.ToLower(method)] = d.operation(operationID(method, path), path, op)
}

// AddWebhook describes a request the API sends to its clients (a POST), by
// name: OpenAPI 3.1's webhooks.
func (d *Document) AddWebhook(name string, op Operation) {
	d.webhooks[name] = map[string]any{"post": d.operation(name+"Webhook", "", op)}
}

func (d *Document) operation(id, path string, op Operation) map[string]any {
	o := map[string]any{"summary": op.Summary, "operationId": id}
	if op.Auth != None {
		o["security"] = []any{map[string]any{string(op.Auth): []string{}}}
	} else if len(op.AuthOptional) > 0 {
		sec := []any{map[string]any{}}
		for _, a := range op.AuthOptional {
			sec = append(sec, map[string]any{string(a): []string{}})
		}
		o["security"] = sec
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
		schema := map[string]any{"type": t}
		if p.Min != nil {
			schema["minimum"] = *p.Min
		}
		if p.Max != nil {
			schema["maximum"] = *p.Max
		}
		if len(p.Enum) > 0 {
			schema["enum"] = p.Enum
		}
		if p.Format != "" {
			schema["format"] = p.Format
		}
		params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required,
			"description": p.Description, "schema": schema})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Request != nil {
		types := op.RequestTypes
		if len(types) == 0 {
			types = []string{"application/json"}
		}
		schema := d.schemaOf(reflect.TypeOf(op.Request))
		if op.Patch {
			schema = d.patchOf(schema)
		}
		content := map[string]any{}
		for _, t := range types {
			content[t] = map[string]any{"schema": schema}
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
	return o
}

// patchOf returns a schema of the same fields as the struct schema s
// refers to, none of them required: named <Name>Patch.
func (d *Document) patchOf(s map[string]any) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok {
		panic("openapi: a patch's request must be a named struct")
	}
	name := strings.TrimPrefix(ref, "#/components/schemas/")
	patch := maps.Clone(d.schemas[name].(map[string]any))
	delete(patch, "required")
	d.schemas[name+"Patch"] = patch
	return map[string]any{"$ref": "#/components/schemas/" + name + "Patch"}
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
		"openapi":  "3.1.0",
		"info":     map[string]any{"title": d.title, "version": d.version, "description": d.description},
		"paths":    d.paths,
		"webhooks": d.webhooks,
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

// Alternative is implemented by a struct type that its decoder also reads
// in another form (a register's name alone for a registration, say): its
// schema is anyOf the struct's and that of OpenAPIAlternative's value.
type Alternative interface {
	OpenAPIAlternative() any
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
		// A nil slice is written as null: fields add the null (see field).
		return map[string]any{"type": "array", "items": d.schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": d.schemaOf(t.Elem())}
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
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if alt, ok := reflect.New(t).Interface().(Alternative); ok {
			return map[string]any{"anyOf": []any{ref, d.schemaOf(reflect.TypeOf(alt.OpenAPIAlternative()))}}
		}
		return ref
	}
	return map[string]any{}
}

// Conditional is implemented by a struct type with rules that join its
// fields (one required only when another has some value): its schema holds
// what OpenAPIConditions returns (JSON Schema's if/then) under allOf, so the
// document states those rules too.
type Conditional interface {
	OpenAPIConditions() []map[string]any
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
	if c, ok := reflect.New(t).Elem().Interface().(Conditional); ok {
		var all []any
		for _, cond := range c.OpenAPIConditions() {
			all = append(all, cond)
		}
		s["allOf"] = all
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
		s, isRequired, err := d.field(f, name, opts)
		if err != nil {
			// A tag is written by hand next to the field: a mistake in one
			// is a programming error, found by the first test that builds
			// the document.
			panic(fmt.Sprintf("openapi: %s.%s: %v", t.Name(), f.Name, err))
		}
		props[name] = s
		if isRequired {
			*required = append(*required, name)
		}
	}
}

// field returns the schema of one struct field and whether it is required.
// Without an api tag a field is required unless it is omitted when empty
// (omitempty, omitzero) or a pointer, and may be null when encoding/json
// writes null for it: a pointer, slice or map not omitted when empty. The
// api tag makes it exact (see TagOptions).
func (d *Document) field(f reflect.StructField, name, jsonOpts string) (map[string]any, bool, error) {
	o, err := ParseTag(f.Tag.Get("api"))
	if err != nil {
		return nil, false, err
	}
	o.Pattern = f.Tag.Get("pattern")
	omitted := hasOpt(jsonOpts, "omitempty") || hasOpt(jsonOpts, "omitzero")
	s := d.schemaOf(f.Type)
	if values, ok := d.enums[name]; ok {
		s = withEnum(s, values, omitted && !o.Required)
	}
	s, err = o.constrain(s)
	if err != nil {
		return nil, false, err
	}
	kind := f.Type.Kind()
	nullable := !omitted && (kind == reflect.Pointer || kind == reflect.Slice || kind == reflect.Map)
	if o.Nullable {
		nullable = true
	}
	if o.Required {
		nullable = o.Nullable
	}
	if nullable {
		s = orNull(s)
	}
	isRequired := o.Required || (!omitted && kind != reflect.Pointer)
	return s, isRequired, nil
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// orNull returns s allowing null as well.
func orNull(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok && s["enum"] == nil {
		out := maps.Clone(s)
		out["type"] = []string{t, "null"}
		return out
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// TagOptions are the options of a field's api tag, such as
// `api:"required,format=date"` or `api:"minLength=1,maxLength=200"`, and
// its pattern tag (`pattern:"^[A-Z0-9]{3,6}$"`, a regular expression).
//
//   - required: present and not null, also for a pointer or a field
//     omitted when empty (the decoder refuses a body without it);
//   - nullable: may be null (with required: present, perhaps null);
//   - format=date|date-time|email|uri|uuid|...: the string's format;
//   - minLength=, maxLength=: a string's length in characters;
//   - min=, max=: a number's inclusive bounds;
//   - minItems=, maxItems=: an array's size.
//
// On an array, the string and number options hold for its items.
type TagOptions struct {
	Required, Nullable   bool
	Format, Pattern      string
	MinLength, MaxLength *int
	Min, Max             *float64
	MinItems, MaxItems   *int
}

// ParseTag reads an api tag.
func ParseTag(tag string) (TagOptions, error) {
	var o TagOptions
	if tag == "" {
		return o, nil
	}
	for opt := range strings.SplitSeq(tag, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(opt), "=")
		var err error
		switch key {
		case "required":
			o.Required = true
		case "nullable":
			o.Nullable = true
		case "format":
			o.Format = value
		case "minLength":
			o.MinLength, err = parseInt(value)
		case "maxLength":
			o.MaxLength, err = parseInt(value)
		case "minItems":
			o.MinItems, err = parseInt(value)
		case "maxItems":
			o.MaxItems, err = parseInt(value)
		case "min":
			o.Min, err = parseFloat(value)
		case "max":
			o.Max, err = parseFloat(value)
		default:
			return o, fmt.Errorf("api tag %q: unknown option %q", tag, key)
		}
		if err != nil {
			return o, fmt.Errorf("api tag %q: %s: %w", tag, key, err)
		}
		if (key == "required" || key == "nullable") == hasValue {
			return o, fmt.Errorf("api tag %q: option %q takes %s", tag, key, map[bool]string{true: "no value", false: "a value"}[hasValue])
		}
	}
	return o, nil
}

func parseInt(s string) (*int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func parseFloat(s string) (*float64, error) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// constrain adds the options' formats and bounds to s.
func (o TagOptions) constrain(s map[string]any) (map[string]any, error) {
	s = maps.Clone(s)
	target := s
	if s["type"] == "array" {
		if o.MinItems != nil {
			s["minItems"] = *o.MinItems
		}
		if o.MaxItems != nil {
			s["maxItems"] = *o.MaxItems
		}
		items, _ := s["items"].(map[string]any)
		target = maps.Clone(items)
		s["items"] = target
	} else if o.MinItems != nil || o.MaxItems != nil {
		return nil, fmt.Errorf("minItems and maxItems are for arrays")
	}
	if o.Format != "" {
		target["format"] = o.Format
	}
	if o.Pattern != "" {
		if _, err := regexp.Compile(o.Pattern); err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		target["pattern"] = o.Pattern
	}
	if o.MinLength != nil {
		target["minLength"] = *o.MinLength
	}
	if o.MaxLength != nil {
		target["maxLength"] = *o.MaxLength
	}
	if o.Min != nil {
		target["minimum"] = *o.Min
	}
	if o.Max != nil {
		target["maximum"] = *o.Max
	}
	return s, nil
}

func withEnum(s map[string]any, values []string, optional bool) map[string]any {
	if s["type"] == "string" {
		if optional {
			// An optional string may be sent empty, meaning "none".
			values = append([]string{""}, values...)
		}
		return map[string]any{"type": "string", "enum": values}
	}
	if items, ok := s["items"].(map[string]any); ok && items["type"] == "string" && s["type"] == "array" {
		return map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": values}}
	}
	return s
}
