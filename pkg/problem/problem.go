// Package problem is the one error type of the system and its one mapping to
// HTTP: every expected failure is an *Error of some Kind, and Details turns it
// into an RFC 9457 problem document. Anything that is not an *Error is an
// internal error, logged where it is answered and never shown to the client.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Kind says what sort of failure an Error is, and so its HTTP status.
type Kind int

// The kinds of failure, each with one HTTP status.
const (
	Internal Kind = iota
	Malformed
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	MethodNotAllowed
	Conflict
	Gone
	PreconditionFailed
	PreconditionRequired
	TooLarge
	UnsupportedMediaType
	RateLimited
	Unavailable
)

var kinds = map[Kind]struct {
	status int
	slug   string
	title  string
}{
	Internal:             {http.StatusInternalServerError, "internal", "Internal error"},
	Malformed:            {http.StatusBadRequest, "malformed", "The request could not be read"},
	Invalid:              {http.StatusUnprocessableEntity, "validation", "The request is not valid"},
	Unauthenticated:      {http.StatusUnauthorized, "unauthenticated", "Credentials are missing or not valid"},
	Forbidden:            {http.StatusForbidden, "forbidden", "These credentials may not do this"},
	NotFound:             {http.StatusNotFound, "not-found", "Not found"},
	MethodNotAllowed:     {http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
	Conflict:             {http.StatusConflict, "conflict", "Conflict with the current state"},
	Gone:                 {http.StatusGone, "gone", "Gone"},
	PreconditionFailed:   {http.StatusPreconditionFailed, "precondition-failed", "The resource has changed since it was read"},
	PreconditionRequired: {http.StatusPreconditionRequired, "precondition-required", "If-Match is required"},
	TooLarge:             {http.StatusRequestEntityTooLarge, "too-large", "The request body is too large"},
	UnsupportedMediaType: {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported content type"},
	RateLimited:          {http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	Unavailable:          {http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable"},
}

// Status returns the HTTP status of k.
func (k Kind) Status() int { return kinds[k].status }

func (k Kind) String() string { return kinds[k].slug }

// FieldError names one bad field of a request, as a JSON Pointer (RFC 6901)
// into the request body, or a parameter name.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error is an expected failure.
type Error struct {
	Kind   Kind
	Detail string
	Fields []FieldError
	// RetryAfter is sent as Retry-After with RateLimited and Unavailable.
	RetryAfter time.Duration
	// Err is the cause, for logs; never shown to the client.
	Err error
}

func (e *Error) Error() string {
	msg := e.Kind.String()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Detail)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error of kind with a detail for the client.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error of kind whose cause is err.
func Wrap(kind Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Fields returns an Invalid error listing each bad field, or nil if there are none.
func Fields(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Detail: fmt.Sprintf("%d field(s) are not valid", len(fields)), Fields: fields}
}

// KindOf returns the Kind of err: Internal unless err wraps an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of kind.
func Is(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}

// Details is an RFC 9457 problem document.
type Details struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`

	retryAfter time.Duration
}

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// TypeURI returns the problem type URI of kind.
func TypeURI(k Kind) string { return "urn:clinjobs:problem:" + k.String() }

// DetailsOf returns the problem document for err. An error that is not an
// *Error becomes a bare internal error: its text may hold anything, so it is
// never shown.
func DetailsOf(err error) Details {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Kind: Internal}
	}
	k, ok := kinds[e.Kind]
	if !ok {
		k = kinds[Internal]
	}
	d := Details{
		Type:       "urn:clinjobs:problem:" + k.slug,
		Title:      k.title,
		Status:     k.status,
		Detail:     e.Detail,
		Errors:     e.Fields,
		retryAfter: e.RetryAfter,
	}
	if e.Kind == Internal {
		d.Detail = "internal error"
	}
	return d
}

// Write sends d on w, with Retry-After where it applies, and the challenge
// a 401 must carry (RFC 9110 15.5.2).
func Write(w http.ResponseWriter, d Details) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	// A 429 always says when to come back: a limiter's window may end
	// within the millisecond it is asked (Redis answers PTTL 0), and a
	// client told nothing would try again at once.
	if d.retryAfter > 0 || d.Status == http.StatusTooManyRequests {
		secs := max(1, int((d.retryAfter+time.Second-1)/time.Second))
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	if d.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="clinjobs"`)
	}
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}
