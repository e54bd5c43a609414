package redisclient_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/redistest"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	client := redisclient.New(redisclient.Config{Addrs: []string{r.Addr}})
	t.Cleanup(func() { _ = client.Close() })
	if err := redisclient.Check(client).Check(t.Context()); err != nil {
		t.Fatalf("check of a running redis: %v", err)
	}

	down := redisclient.New(redisclient.Config{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { _ = down.Close() })
	if err := redisclient.Check(down).Check(t.Context()); err == nil {
		t.Fatal("check of no redis passed")
	}
}
