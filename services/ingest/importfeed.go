package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/clinjobs/clinjobs/pkg/nhsjobs"
)

// feedClient reads pages of NHS Jobs' search feed politely: one request at
// a time, at least gap apart; a page read before is asked for again
// conditionally (If-None-Match, If-Modified-Since) and a 304 answers with
// it; errors, 429 and 503 are retried after a back-off that doubles, or
// after the Retry-After the feed gives (capped at five minutes).
type feedClient struct {
	http      *http.Client
	base      string
	gap       time.Duration
	backoff   time.Duration
	tries     int
	userAgent string

	mu    sync.Mutex
	last  time.Time
	cache map[string]cachedPage
}

type cachedPage struct {
	etag, modified string
	page           *nhsjobs.Page
}

// errFeed is a page the feed would not give after every try.
var errFeed = errors.New("feed page not read")

func (f *feedClient) page(ctx context.Context, query url.Values, n int) (*nhsjobs.Page, error) {
	u, err := url.Parse(f.base)
	if err != nil {
		return nil, fmt.Errorf("feed address: %w", err)
	}
	q := u.Query()
	for k, vs := range query {
		q[k] = vs
	}
	q.Set("page", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	addr := u.String()
	wait := f.backoff
	var last error
	for try := 0; try < f.tries; try++ {
		if try > 0 {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			wait *= 2
		}
		p, retryAfter, err := f.get(ctx, addr)
		if err == nil {
			return p, nil
		}
		last = err
		if retryAfter > 0 {
			wait = retryAfter
		}
	}
	return nil, fmt.Errorf("%w: %s page %d after %d tries: %w", errFeed, u.Path, n, f.tries, last)
}

// get makes one request, after the gap since the last.
func (f *feedClient) get(ctx context.Context, addr string) (*nhsjobs.Page, time.Duration, error) {
	f.mu.Lock()
	next := f.last.Add(f.gap)
	f.mu.Unlock()
	if err := sleep(ctx, time.Until(next)); err != nil {
		return nil, 0, err
	}
	f.mu.Lock()
	f.last = time.Now()
	cached, hasCache := f.cache[addr]
	f.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	req.Header.Set("User-Agent", f.userAgent)
	if hasCache {
		if cached.etag != "" {
			req.Header.Set("If-None-Match", cached.etag)
		}
		if cached.modified != "" {
			req.Header.Set("If-Modified-Since", cached.modified)
		}
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && hasCache:
		return cached.page, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), fmt.Errorf("feed answered %s", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, 0, fmt.Errorf("feed answered %s", resp.Status)
	}
	p, err := nhsjobs.Decode(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if etag, mod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"); etag != "" || mod != "" {
		f.mu.Lock()
		f.cache[addr] = cachedPage{etag: etag, modified: mod, page: p}
		f.mu.Unlock()
	}
	return p, 0, nil
}

// retryAfter reads Retry-After, seconds or a date, capped at five minutes.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 5*time.Minute)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
