package systemtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/clinjobs/clinjobs/pkg/imagetest"
)

// operatorKey is the operator key of the test stack.
const operatorKey = "cjo.systemtest.0123456789abcdefghijklmnopqrstuvwxyz"

// stack is the system in containers on a network of its own.
type stack struct {
	network *testcontainers.DockerNetwork
	// gateway is the address containers reach this test process at.
	gateway string
	urls    map[string]string
	nats    string
}

// startStack starts NATS, Redis and every service, each removed when t ends.
func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	nw, err := network.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })
	st := &stack{network: nw, urls: map[string]string{}}

	nats := run(t, nw, "nats", imagetest.Name("nats"), nil, []string{"4222/tcp"},
		wait.ForHTTP("/healthz?js-enabled-only=true").WithPort("8222/tcp"), "8222/tcp")
	run(t, nw, "redis", imagetest.Name("redis"), nil, nil, wait.ForLog("Ready to accept connections"))
	st.nats = endpoint(t, nats, "4222/tcp", "nats")

	inspect, err := nats.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.gateway = inspect.NetworkSettings.Networks[nw.Name].Gateway.String()

	env := map[string]string{
		"NATS_URL":               "nats://nats:4222",
		"REDIS_ADDR":             "redis:6379",
		"OPERATOR_KEY":           operatorKey,
		"ALLOW_PRIVATE_WEBHOOKS": "true",
	}
	for name, port := range map[string]string{"ingest": "8080", "matching": "8081", "notification": "8082", "dashboard": "8083"} {
		e := map[string]string{"HTTP_ADDR": ":" + port}
		for k, v := range env {
			e[k] = v
		}
		c := run(t, nw, name, imagetest.Name(name), e, nil, wait.ForHTTP("/readyz").WithPort(port+"/tcp"), port+"/tcp")
		st.urls[name] = endpoint(t, c, port+"/tcp", "http")
	}
	return st
}

// run starts a container with a network alias equal to its name.
func run(t *testing.T, nw *testcontainers.DockerNetwork, name, img string, env map[string]string, extra []string,
	strategy wait.Strategy, ports ...string) testcontainers.Container {
	t.Helper()
	c, err := testcontainers.Run(context.Background(), img,
		testcontainers.WithLogger(log.TestLogger(t)),
		network.WithNetwork([]string{name}, nw),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(append(ports, extra...)...),
		testcontainers.WithWaitStrategy(strategy),
	)
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return c
}

func endpoint(t *testing.T, c testcontainers.Container, port, scheme string) string {
	t.Helper()
	ep, err := c.PortEndpoint(context.Background(), port, scheme)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func (st *stack) String() string { return fmt.Sprint(st.urls) }
