package allinone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// Page widths of the checks: a desktop, and the 320 CSS pixels WCAG's
// reflow criterion (1.4.10) asks a page to fit without scrolling sideways.
const (
	desktopWidth = 1280
	phoneWidth   = 320
	// maxPageBytes bounds a page with its stylesheet.
	maxPageBytes = 100 << 10
)

// TestWebPagesInABrowser drives the web pages in Chromium: a stranger
// searches by place and filters, opens a vacancy (every advert field, the
// map, its JobPosting), sees a closed vacancy's page say it is closed with
// apply disabled, reads the career paths, and does the search again by
// keyboard alone. Every page is checked at desktop and phone widths from
// the browser's accessibility tree and computed styles: one h1, headings in
// order, every control and link named, text contrast of at least 4.5:1
// (3:1 for large text), no sideways scrolling at 320 px, and under 100 kB.
// Screenshots of each page at each width go to CLINJOBS_SCREENSHOTS when it
// is set (the README's come from there: docs/screenshots).
func TestWebPagesInABrowser(t *testing.T) {
	t.Parallel()
	sys, api := startWith(t, allinone.Config{})
	site := sys.URL("web")
	key := api.CreateTrust(t, "RJ1", "Guy's and St Thomas' NHS Foundation Trust")
	advert := postAdvert(t, site, key, "ebme-band5.json")
	api.PostVacancy(t, key, e2etest.Vacancy("WEB-2", e2etest.StThomas, time.Now(), 20*24*time.Hour))
	api.PostVacancy(t, key, e2etest.Vacancy("WEB-FAR", e2etest.ManchesterRI, time.Now(), 40*24*time.Hour))
	closed := api.PostVacancy(t, key, e2etest.Vacancy("WEB-CLOSED", e2etest.StThomas, time.Now(), 10*24*time.Hour))
	closeVacancy(t, site, key, closed)

	// Screenshots cost time; they are taken when asked for.
	shots := os.Getenv("CLINJOBS_SCREENSHOTS")
	ctx := browserTab(t)

	// The check finds what it looks for: a page made to fail it.
	if err := resize(ctx, phoneWidth); err != nil {
		t.Fatal(err)
	}
	bad := `data:text/html,<html lang="en"><title>bad</title><h2>Second</h2><h4>Fourth</h4><input id="q"><a href="/x"></a>` +
		`<p style="color:%23999">pale</p><div style="width:600px">wide</div></html>`
	if err := chromedp.Do(ctx, chromedp.Navigate(bad)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(audit(ctx, phoneWidth), "\n"); strings.Count(got, "\n") != 6 {
		t.Errorf("the audit of a page with every fault found:\n%s\nwant 7 problems (first heading, skipped level, no h1, unnamed input and link, contrast, width)", got)
	}
	pages := []struct{ name, path string }{
		{"search", "/jobs?postcode=SE1+7EH&km=25"},
		{"search-errors", "/jobs?postcode=ZZ9&role=astronaut"},
		{"vacancy", "/jobs/" + advert},
		{"vacancy-closed", "/jobs/" + closed},
		{"careers", "/careers"},
		{"career-stp", "/careers/stp"},
		{"not-found", "/no-such-page"},
	}
	for _, width := range []int64{desktopWidth, phoneWidth} {
		if err := resize(ctx, width); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(site+p.path)); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			for _, problem := range audit(ctx, width) {
				t.Errorf("%s at %d px: %s", p.path, width, problem)
			}
			if shots == "" {
				continue
			}
			device := "desktop"
			if width == phoneWidth {
				device = "phone"
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, p.name+"-"+device+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range pages {
		if n := pageBytes(t, site+p.path); n > maxPageBytes {
			t.Errorf("%s is %d bytes with its stylesheet; at most %d", p.path, n, maxPageBytes)
		}
	}

	// What the pages say.
	text := func(path, js string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(site+path)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return out
	}
	results := text("/jobs?postcode=SE1+7EH&km=25", `[...document.querySelectorAll('.result-title a')].map(a => a.textContent).join('|')`)
	if strings.Count(results, "|") != 1 || strings.Contains(results, "Manchester") {
		t.Errorf("a search within 25 km of SE1 7EH found %q: want the two open London posts, not the closed one or Manchester's", results)
	}
	if got := text("/jobs?contract=bank", `document.querySelector('.count').textContent`); !strings.Contains(got, "No jobs") {
		t.Errorf("a search for bank contracts says %q; none was posted", got)
	}
	if got := text("/jobs?postcode=ZZ9", `[...document.querySelectorAll('.error-summary a')].map(a => a.getAttribute('href')+' '+a.textContent).join('|')`); !strings.HasPrefix(got, "#postcode Enter a real UK postcode") {
		t.Errorf("the error summary of a bad postcode is %q", got)
	}
	ld := text("/jobs/"+advert, `document.querySelector('script[type="application/ld+json"]').textContent`)
	var posting struct {
		Type  string `json:"@type"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(ld), &posting); err != nil || posting.Type != "JobPosting" || posting.Title == "" {
		t.Errorf("the vacancy's JSON-LD is %q (%v)", ld, err)
	}
	if got := text("/jobs/"+advert, `[document.querySelectorAll('.summary-list dt').length, document.querySelectorAll('.map .pin').length, document.querySelector('#apply-button').tagName].join(' ')`); got != "22 2 A" {
		t.Errorf("the vacancy page has (details, pins on the map, apply) %q; want 22 2 A (two sites)", got)
	}
	if got := text("/jobs/"+closed, `[!!document.querySelector('#closed'), document.querySelector('#apply-button').disabled, !!document.querySelector('#days-left')].join(' ')`); got != "true true false" {
		t.Errorf("the closed vacancy's page has (closed banner, apply disabled, days left) %q; want true true false", got)
	}
	if got := text("/careers", `document.querySelector('a[href="/jobs?role=clinical_technologist"]')?.textContent ?? ''`); got != "See 3 open jobs on this path" {
		t.Errorf("the technologists' path links %q; want the three open technologist posts", got)
	}

	// The same search by keyboard alone: skip to the content, tab to the
	// postcode, type it, Enter submits; tab to the first result, Enter.
	if err := resize(ctx, desktopWidth); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(site+"/jobs")); err != nil {
		t.Fatal(err)
	}
	tabTo := func(what, js string) {
		t.Helper()
		for range 40 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb("Tab"))); err != nil {
				t.Fatal(err)
			}
			type focus struct {
				Match   bool   `json:"match"`
				Visible bool   `json:"visible"`
				Tag     string `json:"tag"`
			}
			state, err := chromedp.Run(ctx, chromedp.Evaluate[focus](`(() => { const e = document.activeElement, s = getComputedStyle(e);
				return {match: !!(`+js+`), tag: e.tagName + '#' + e.id + ' ' + (e.getAttribute('href') ?? ''),
				  visible: e === document.body || s.boxShadow !== 'none' || s.backgroundColor === 'rgb(255, 235, 59)' || (s.outlineStyle !== 'none' && s.outlineWidth !== '0px')};})()`))
			if err != nil {
				t.Fatal(err)
			}
			if !state.Visible {
				t.Errorf("%s has the focus but does not show it", state.Tag)
			}
			if state.Match {
				return
			}
		}
		t.Fatalf("40 tabs did not reach %s", what)
	}
	tabTo("the skip link", `e.classList.contains('skip-link')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb("Enter"))); err != nil {
		t.Fatal(err)
	}
	tabTo("the postcode", `e.id === 'postcode'`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("SE1 7EH"), chromedp.KeyEvent(kb("Enter")), chromedp.WaitVisible(chromedp.CSS(".result-title a"))); err != nil {
		t.Fatalf("search by keyboard: %v", err)
	}
	tabTo("the first result", `e.closest('.result-title')`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb("Enter")), chromedp.WaitVisible(chromedp.CSS("#apply"))); err != nil {
		t.Fatalf("open a result by keyboard: %v", err)
	}
}

// kb is the key named, as chromedp.KeyEvent types it.
func kb(name string) string {
	return map[string]string{"Tab": "\t", "Enter": "\r"}[name]
}

// resize sets the page's width in CSS pixels; the phone width as a phone.
func resize(ctx context.Context, width int64) error {
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 900, DeviceScaleFactor: 1, Mobile: width == phoneWidth})
	return err
}

// audit checks the page shown from the accessibility tree and computed
// styles, and returns what is wrong.
func audit(ctx context.Context, width int64) []string {
	var problems []string
	if _, err := chromedp.Call(ctx, accessibility.Enable, cdp.Empty{}); err != nil {
		return []string{err.Error()}
	}
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return []string{err.Error()}
	}
	nodes := tree.Nodes
	value := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		if json.Unmarshal([]byte(v.Value), &s) != nil {
			return strings.Trim(string(v.Value), `"`)
		}
		return s
	}
	h1, last := 0, 0
	for _, n := range nodes {
		if n.Ignored {
			continue
		}
		role, name := value(n.Role), strings.TrimSpace(value(n.Name))
		switch role {
		case "link", "button", "textbox", "combobox", "checkbox", "radio", "image", "searchbox":
			if name == "" {
				problems = append(problems, fmt.Sprintf("a %s has no accessible name", role))
			}
		case "heading":
			level := 0
			for _, p := range n.Properties {
				if p.Name == "level" {
					_ = json.Unmarshal([]byte(p.Value.Value), &level)
				}
			}
			if level == 1 {
				h1++
			}
			if last == 0 && level != 1 {
				problems = append(problems, fmt.Sprintf("the first heading is h%d %q, not h1", level, name))
			}
			if last > 0 && level > last+1 {
				problems = append(problems, fmt.Sprintf("heading h%d %q follows h%d: a level skipped", level, name, last))
			}
			last = level
		}
	}
	if h1 != 1 {
		problems = append(problems, fmt.Sprintf("%d h1 headings; want one", h1))
	}
	styled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](contrastJS))
	if err != nil {
		return append(problems, err.Error())
	}
	problems = append(problems, styled...)
	scroll, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil {
		return append(problems, err.Error())
	}
	if scroll > width {
		problems = append(problems, fmt.Sprintf("the page is %d px wide in a %d px window: it scrolls sideways", scroll, width))
	}
	return problems
}

// contrastJS finds text whose contrast with what is behind it is below
// WCAG 2.2 AA's 4.5:1 (3:1 for large text: 24 px, or 18.66 px bold),
// by the relative luminance of the computed colours.
const contrastJS = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126*r + 0.7152*g + 0.0722*b; };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c; } return [255, 255, 255]; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || el.closest('svg,script,style')) continue;
    seen.add(el);
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || s.display === 'none' || r.width <= 1 || r.height <= 1 || r.right < 0) continue;
    const ratio = ((a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05))(lum(rgb(s.color)), lum(bg(el)));
    const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push('"' + n.textContent.trim().slice(0, 40) + '" has contrast ' + ratio.toFixed(2) + ':1 (' + s.color + ' on ' + bg(el).join(',') + '), below ' + need);
  }
  return out;
})()`

// pageBytes is the size of the page at url and of its stylesheet.
func pageBytes(t *testing.T, url string) int {
	t.Helper()
	n := 0
	for _, u := range []string{url, url[:strings.Index(url[8:], "/")+8] + "/assets/site.css"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += len(body)
	}
	return n
}

// postAdvert posts one of the written adverts, its dates moved to come.
func postAdvert(t *testing.T, site, key, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "pkg", "match", "testdata", "adverts", name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	v["closing_date"], v["start_date"] = today.AddDate(0, 0, 28).Format("2006-01-02"), today.AddDate(0, 0, 56).Format("2006-01-02")
	v["interview_date"] = today.AddDate(0, 0, 35).Format("2006-01-02")
	body, _ := json.Marshal(v)
	var out struct{ ID string }
	call(t, http.MethodPost, site+"/v1/vacancies", key, string(body), http.StatusCreated, &out)
	return out.ID
}

func closeVacancy(t *testing.T, site, key, id string) {
	t.Helper()
	call(t, http.MethodPost, site+"/v1/vacancies/"+id+"/close", key, "", http.StatusOK, nil)
}

// call sends a request through the one address, as the pages' users' own
// scripts would.
func call(t *testing.T, method, url, key, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, url, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}
