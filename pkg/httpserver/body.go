package httpserver

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
)

// ReadBody reads the whole body, within the engine's limit, after checking
// its content type is one of types.
func ReadBody(c *gin.Context, types ...string) ([]byte, error) {
	ct := c.ContentType()
	ok := false
	for _, t := range types {
		ok = ok || ct == t
	}
	if !ok {
		return nil, problem.New(problem.UnsupportedMediaType, "Content-Type %q is not accepted here; send %s", ct, strings.Join(types, " or "))
	}
	data, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, problem.New(problem.TooLarge, "the body is larger than %d bytes", tooLarge.Limit)
	}
	if err != nil {
		return nil, problem.Wrap(problem.Malformed, err, "the body could not be read")
	}
	return data, nil
}

// ReadJSON reads the body as one strict JSON document (see strictjson) into v.
func ReadJSON(c *gin.Context, v any) ([]byte, error) {
	data, err := ReadBody(c, "application/json")
	if err != nil {
		return nil, err
	}
	return data, strictjson.Decode(data, v)
}

// ETag returns the entity tag of a record revision.
func ETag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// IfMatch returns the revision an update's If-Match names. An update without
// one is refused (428): a client that did not say what it read would
// overwrite changes it never saw.
func IfMatch(c *gin.Context) (uint64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		return 0, problem.New(problem.PreconditionRequired, "send If-Match with the ETag you read")
	}
	rev, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || rev == 0 {
		return 0, problem.New(problem.PreconditionFailed, "If-Match %s is not an ETag of this resource", h)
	}
	return rev, nil
}
