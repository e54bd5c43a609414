package httpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

func engine(t *testing.T) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	e := httpserver.New(logging.Discard(), httpserver.Options{MaxBodyBytes: 64, Metrics: reg})
	e.POST("/echo/:id", func(c *gin.Context) {
		var v map[string]any
		if _, err := httpserver.ReadJSON(c, &v); err != nil {
			httpserver.Fail(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	})
	e.GET("/boom", func(*gin.Context) { panic("boom") })
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func problemOf(t *testing.T, resp *http.Response) problem.Details {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("content type %q, want %s", ct, problem.ContentType)
	}
	var d problem.Details
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestErrorsAreProblems(t *testing.T) {
	t.Parallel()
	srv := engine(t)
	tests := []struct {
		name, method, path, ctype, body string
		want                            int
	}{
		{"unknown route", "GET", "/nowhere", "", "", 404},
		{"wrong method", "DELETE", "/echo/1", "", "", 405},
		{"wrong content type", "POST", "/echo/1", "text/plain", "{}", 415},
		{"too large", "POST", "/echo/1", "application/json", `{"x":"` + strings.Repeat("a", 100) + `"}`, 413},
		{"malformed", "POST", "/echo/1", "application/json", `{"x":`, 400},
		{"panic", "GET", "/boom", "", "", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			d := problemOf(t, resp)
			if resp.StatusCode != tt.want || d.Status != tt.want || d.RequestID == "" {
				t.Fatalf("status %d, document %+v; want %d with a request id", resp.StatusCode, d, tt.want)
			}
			if tt.want == 500 && d.Detail != "internal error" {
				t.Fatalf("internal detail leaked: %q", d.Detail)
			}
		})
	}
}

func TestRequestIDAndMetrics(t *testing.T) {
	t.Parallel()
	srv := engine(t)
	req, _ := http.NewRequest("POST", srv.URL+"/echo/7", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "trace-me-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-me-1" {
		t.Errorf("request id %q, want the caller's", got)
	}
	// An id that could break a log line is replaced.
	req, _ = http.NewRequest("GET", srv.URL+"/nowhere", nil)
	req.Header.Set("X-Request-Id", "bad id {}")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " {}") {
		t.Errorf("request id %q", got)
	}

	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`http_requests_total{method="POST",route="/echo/:id",status="200"} 1`,
		`http_request_duration_seconds_count{method="POST",route="/echo/:id"} 1`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
