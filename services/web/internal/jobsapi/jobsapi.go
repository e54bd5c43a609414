// Package jobsapi is the web service's client of the system's public HTTP
// APIs: it reads vacancies from ingest as any other client would, through
// the same base URL a browser or script uses, and turns problem documents
// back into errors the pages can show field by field.
package jobsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Client calls the APIs under one base URL.
type Client struct {
	base string
	hc   *http.Client
}

// New returns a client of the APIs at base (such as http://proxy:8000),
// sending requests through hc.
func New(base string, hc *http.Client) *Client {
	return &Client{base: strings.TrimRight(base, "/"), hc: hc}
}

// ErrNotFound is returned for a 404.
var ErrNotFound = errors.New("not found")

// Problem is a problem document the API answered with.
type Problem struct {
	Status int                  `json:"status"`
	Title  string               `json:"title"`
	Detail string               `json:"detail"`
	Errors []problem.FieldError `json:"errors"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// VacancyList is a page of vacancies (ingest's answer).
type VacancyList struct {
	Vacancies  []jobs.VacancyView `json:"vacancies"`
	NextCursor string             `json:"next_cursor"`
	// Near is the point searched around, when a place was given.
	Near *jobs.PlaceView `json:"near"`
}

// Search lists open vacancies; q holds ingest's query parameters.
func (c *Client) Search(ctx context.Context, q url.Values, client string) (VacancyList, error) {
	var out VacancyList
	err := c.get(ctx, "/v1/vacancies?"+q.Encode(), "application/json", client, &out)
	return out, err
}

// Vacancy reads one vacancy, open or not.
func (c *Client) Vacancy(ctx context.Context, id, client string) (jobs.VacancyView, error) {
	var out jobs.VacancyView
	err := c.get(ctx, "/v1/vacancies/"+url.PathEscape(id), "application/json", client, &out)
	return out, err
}

// JobPosting reads a vacancy's schema.org JobPosting, as JSON-LD.
func (c *Client) JobPosting(ctx context.Context, id, client string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.get(ctx, "/v1/vacancies/"+url.PathEscape(id)+"/jobposting", "application/ld+json", client, &out)
	return out, err
}

// get GETs path into out. client is the browser's address, passed on as
// X-Forwarded-For so that the API's per-address limits count each person,
// not the web service (believed only where the API trusts this service as
// a proxy).
func (c *Client) get(ctx context.Context, path, accept, client string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", accept)
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case resp.StatusCode >= 400:
		p := &Problem{Status: resp.StatusCode}
		_ = json.Unmarshal(body, p)
		return p
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
