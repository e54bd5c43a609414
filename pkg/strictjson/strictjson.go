// Package strictjson decodes the JSON that comes from outside, refusing what a
// lenient decoder lets through, with errors that name the field at fault.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

// MaxDepth bounds how deeply a request body may nest; the domain's documents
// nest four levels at most.
const MaxDepth = 16

// Decode decodes one JSON document from data into v, refusing what a
// lenient decoder would let through: invalid UTF-8, unknown fields, values of
// the wrong type or out of range, nesting past MaxDepth, a document that is
// null (which a lenient decoder takes for an empty one), and anything after
// the document. Failures are problem errors naming the field.
func Decode(data []byte, v any) error {
	if !utf8.Valid(data) {
		return problem.New(problem.Malformed, "the body is not valid UTF-8")
	}
	if err := checkDepth(data); err != nil {
		return err
	}
	if bytes.Equal(bytes.Trim(data, " \t\r\n"), []byte("null")) {
		want := "a value"
		if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
			want = typeName(t.Elem().String())
		}
		return problem.Fields([]problem.FieldError{{Field: "", Detail: "want " + want + ", got JSON null"}})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.New(problem.Malformed, "the body holds more than one JSON document")
	}
	return nil
}

// checkDepth refuses deep nesting before the decoder walks it.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return problem.New(problem.Malformed, "the body nests deeper than %d levels", MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return problem.New(problem.Malformed, "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(problem.Malformed, "the body ends in the middle of a JSON document")
	case errors.As(err, &syntax):
		return problem.New(problem.Malformed, "the body is not JSON: %s at byte %d", syntax.Error(), syntax.Offset)
	case errors.As(err, &typ):
		field := pointer(typ.Field)
		detail := fmt.Sprintf("want %s, got JSON %s", typeName(typ.Type.String()), typ.Value)
		if strings.HasPrefix(typ.Value, "number ") {
			detail = fmt.Sprintf("%s is out of range or not a whole number", strings.TrimPrefix(typ.Value, "number "))
		}
		return problem.Fields([]problem.FieldError{{Field: field, Detail: detail}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem.Fields([]problem.FieldError{{Field: "/" + name, Detail: "unknown field"}})
	}
	return problem.Wrap(problem.Malformed, err, "the body could not be read")
}

// pointer turns the decoder's dotted field path into a JSON Pointer.
func pointer(path string) string {
	if path == "" {
		return ""
	}
	return "/" + strings.ReplaceAll(path, ".", "/")
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "*"):
		return typeName(goType[1:])
	}
	return "an object"
}
