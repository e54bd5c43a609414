// Package web holds the dashboard page's templates, style sheet and script,
// all written here and embedded, with no outside assets, and draws its charts
// as inline SVG on the server.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Static returns the style sheet and script, served under /static/.
func Static() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}

// Templates parses the page's templates.
func Templates() (*template.Template, error) {
	t, err := template.New("page").Funcs(template.FuncMap{
		"chart":    Chart,
		"ago":      ago,
		"percent":  func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"mib":      func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) },
		"seconds":  func(f float64) string { return fmt.Sprintf("%.2f s", f) },
		"humanize": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"add":      func(a, b int) int { return a + b },
	}).ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard templates: %w", err)
	}
	return t, nil
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String()
}

// Chart draws counts per minute as a small line chart: an inline SVG with
// the largest value marked, so it needs no script and no outside library.
func Chart(points []int) template.HTML {
	const w, h, pad = 240.0, 48.0, 2.0
	top := 0
	for _, p := range points {
		top = max(top, p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="per minute, latest on the right, peak %d">`, w, h, w, h, top)
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" class="axis"/>`, h-pad, w, h-pad)
	if len(points) > 1 {
		b.WriteString(`<polyline class="line" points="`)
		for i, p := range points {
			x := float64(i) * w / float64(len(points)-1)
			y := h - pad
			if top > 0 {
				y = h - pad - float64(p)*(h-2*pad)/float64(top)
			}
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		b.WriteString(`"/>`)
	}
	fmt.Fprintf(&b, `<text x="2" y="10" class="peak">%d/min</text></svg>`, top)
	return template.HTML(b.String())
}
