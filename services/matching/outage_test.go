package matching_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/redistest"
	"github.com/clinjobs/clinjobs/services/matching"
)

// TestRedisOutage: reads come from the cache; while Redis does not answer,
// they come from the index, say so, and do not fail; a vacancy posted
// meanwhile is in the list; and once Redis answers again, the stale list
// it kept is not served.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	red := redistest.Start(t)
	w := newWorld(t)
	client := redisclient.New(redisclient.Config{Addrs: []string{red.Addr}, Timeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	r := w.start("", client)
	c, tok := w.candidate(1, 51.50, -0.12)
	w.vacancy(1, 51.50, -0.12)
	settle(t, w)

	read := func() (matching.MatchList, string) {
		var list matching.MatchList
		var h http.Header
		if code := r.getWith(t, "/v1/candidates/"+c.GetId()+"/matches", tok, &list, &h); code != 200 {
			t.Fatalf("matches: %d", code)
		}
		return list, h.Get(matching.HeaderMatchSource)
	}
	r.get(t, "/v1/candidates/"+c.GetId()+"/matches", tok, nil) // fills the cache
	if list, src := read(); src != "cache" || list.Total != 1 {
		t.Fatalf("before the outage: %d from %s", list.Total, src)
	}

	// Redis stops answering, keeping what it holds.
	admin := red.Client(t)
	if err := admin.Do(context.Background(), "CLIENT", "PAUSE", "3000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	pausedAt := time.Now()
	w.vacancy(2, 51.51, -0.12)
	settle(t, w)
	list, src := read()
	if src != "index" || list.Total != 2 {
		t.Fatalf("during the outage: %d from %s, want 2 from the index", list.Total, src)
	}

	// Redis answers again with the list it kept, which lacks vacancy 2.
	w.eventually(func() bool { return time.Since(pausedAt) > 3500*time.Millisecond }, "the pause to end")
	w.eventually(func() bool {
		list, src := read()
		if list.Total != 2 {
			t.Fatalf("after the outage: a stale list of %d was served (from %s)", list.Total, src)
		}
		return src == "cache"
	}, "reads from the mended cache")
}
