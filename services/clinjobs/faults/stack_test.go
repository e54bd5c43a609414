//go:build faults

package faults_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/clinjobs/clinjobs/pkg/imagetest"
)

const operatorKey = "cjo.faults.0123456789abcdefghijklmnopqrstuvwxyz"

// stack is the clustered system in containers: three NATS nodes (every
// stream and bucket replicated three times), Redis, ingest, matching split
// over two partition owners and two notification replicas.
type stack struct {
	net        *testcontainers.DockerNetwork
	gateway    string
	containers map[string]testcontainers.Container
	ingest     string
	natsURLs   map[string]string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	nw, err := network.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })
	st := &stack{net: nw, containers: map[string]testcontainers.Container{}, natsURLs: map[string]string{}}
	// The nodes wait for each other to form the cluster: start them together.
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make(chan error, 3)
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("nats-%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := run(t, nw, name, imagetest.Name("nats"), map[string]string{"SERVER_NAME": name},
				[]string{"--config", "/etc/nats/cluster.conf"},
				wait.ForHTTP("/healthz?js-enabled-only=true").WithPort("8222/tcp").WithStartupTimeout(2*time.Minute), "4222/tcp", "8222/tcp")
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			st.containers[name] = c
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	for name, c := range st.containers {
		st.natsURLs[name] = endpoint(t, c, "4222/tcp", "nats")
	}
	inspect, err := st.containers["nats-1"].Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.gateway = inspect.NetworkSettings.Networks[nw.Name].Gateway.String()
	redis, err := run(t, nw, "redis", imagetest.Name("redis"), nil, nil, wait.ForLog("Ready to accept connections"), "6379/tcp")
	if err != nil {
		t.Fatal(err)
	}
	st.containers["redis"] = redis
	env := map[string]string{
		"NATS_URL":      "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222",
		"NATS_REPLICAS": "3", "REDIS_ADDR": "redis:6379", "OPERATOR_KEY": operatorKey,
		"ALLOW_PRIVATE_WEBHOOKS": "true", "LOG_LEVEL": "warn",
		// The suite is one client posting and reading a steady stream, not
		// a flood: limits out of its way.
		"RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000",
	}
	for _, s := range []struct{ name, image, port, partitions string }{
		{"ingest", "ingest", "8080", ""},
		{"matching-1", "matching", "8081", "0-7"},
		{"matching-2", "matching", "8081", "8-15"},
		{"notification-1", "notification", "8082", ""},
		{"notification-2", "notification", "8082", ""},
	} {
		e := map[string]string{"HTTP_ADDR": ":" + s.port}
		for k, v := range env {
			e[k] = v
		}
		if s.partitions != "" {
			e["MATCHING_PARTITIONS"] = s.partitions
		}
		c, err := run(t, nw, s.name, imagetest.Name(s.image), e, nil,
			wait.ForHTTP("/readyz").WithPort(s.port+"/tcp").WithStartupTimeout(2*time.Minute), s.port+"/tcp")
		if err != nil {
			t.Fatal(err)
		}
		st.containers[s.name] = c
	}
	st.ingest = endpoint(t, st.containers["ingest"], "8080/tcp", "http")
	return st
}

func run(t *testing.T, nw *testcontainers.DockerNetwork, name, img string, env map[string]string, cmd []string,
	strategy wait.Strategy, ports ...string) (testcontainers.Container, error) {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(log.TestLogger(t)),
		network.WithNetwork([]string{name}, nw),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(ports...),
		testcontainers.WithWaitStrategy(strategy),
	}
	if len(cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(cmd...))
	}
	c, err := testcontainers.Run(context.Background(), img, opts...)
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return c, nil
}

func endpoint(t *testing.T, c testcontainers.Container, port, scheme string) string {
	t.Helper()
	ep, err := c.PortEndpoint(context.Background(), port, scheme)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// anyNATS returns the client URL of a NATS node that is up.
func (st *stack) anyNATS(ctx context.Context) string {
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		c := st.containers[name]
		if state, err := c.State(ctx); err == nil && state.Running {
			if ep, err := c.PortEndpoint(ctx, "4222/tcp", "nats"); err == nil {
				return ep
			}
		}
	}
	return ""
}

// currentIngest returns ingest's URL now: a restarted container's port is
// mapped anew.
func (st *stack) currentIngest() string {
	if ep, err := st.containers["ingest"].PortEndpoint(context.Background(), "8080/tcp", "http"); err == nil {
		return ep
	}
	return st.ingest
}
