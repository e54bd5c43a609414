package allinone_test

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One Chromium for the package, started by the first test that needs it;
// each test drives a tab of its own.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// browserTab opens a tab of the package's browser, closed when t ends.
func browserTab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path, err := exec.LookPath("chromium")
		if err != nil {
			browser.err = err
			return
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 1600))...)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.err = chromedp.Do(ctx) // starts the browser
		browser.ctx, browser.cancel = ctx, func() { cancel(); cancelAlloc() }
	})
	if browser.err != nil {
		t.Fatalf("Debian's chromium is needed (apt-get install chromium; make test and .ci/run install it): %v", browser.err)
	}
	tab, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	tab, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return tab
}
