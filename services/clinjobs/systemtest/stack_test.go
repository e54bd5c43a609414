package systemtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/clinjobs/clinjobs/pkg/imagetest"
	"github.com/clinjobs/clinjobs/pkg/secrets"
)

// stack is the system in containers on a network of its own.
type stack struct {
	network *testcontainers.DockerNetwork
	// gateway is the address containers reach this test process at.
	gateway string
	urls    map[string]string
	// nats is the server's client URL from this process (TLS).
	nats string
	// redis is Redis's host:port from this process.
	redis string
	// secrets is the directory of the stack's secrets, as `make up` makes
	// them: each container gets only its own part.
	secrets     string
	operatorKey string
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
	st := &stack{network: nw, urls: map[string]string{}, secrets: t.TempDir()}
	if _, err := secrets.Init(st.secrets); err != nil {
		t.Fatal(err)
	}
	st.operatorKey = strings.TrimSpace(read(t, filepath.Join(st.secrets, "operator.key")))

	nats := run(t, nw, "nats", imagetest.Name("nats"), nil, []string{"4222/tcp"},
		wait.ForExec([]string{"/probe", "http://127.0.0.1:8222/healthz?js-enabled-only=true"}),
		mount(filepath.Join(st.secrets, "nats"), "/etc/nats/secrets"))
	redis := run(t, nw, "redis", imagetest.Name("redis"), nil, nil, wait.ForLog("Ready to accept connections"),
		mount(filepath.Join(st.secrets, "redis"), "/etc/redis/secrets"), "6379/tcp")
	st.redis = endpoint(t, redis, "6379/tcp", "")
	st.nats = endpoint(t, nats, "4222/tcp", "tls")

	inspect, err := nats.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.gateway = inspect.NetworkSettings.Networks[nw.Name].Gateway.String()

	env := map[string]string{
		"NATS_URL":               "tls://nats:4222",
		"NATS_PASSWORD_FILE":     "/run/secrets/nats.password",
		"NATS_CA_FILE":           "/run/secrets/ca.pem",
		"REDIS_ADDR":             "redis:6379",
		"REDIS_PASSWORD_FILE":    "/run/secrets/redis.password",
		"ALLOW_PRIVATE_WEBHOOKS": "true",
	}
	for name, port := range map[string]string{"ingest": "8080", "matching": "8081", "notification": "8082", "dashboard": "8083"} {
		e := map[string]string{"HTTP_ADDR": ":" + port, "NATS_USER": name, "REDIS_USERNAME": name}
		for k, v := range env {
			e[k] = v
		}
		if name == "ingest" || name == "dashboard" {
			e["OPERATOR_KEY_FILE"] = "/run/secrets/operator.key"
		}
		c := run(t, nw, name, imagetest.Name(name), e, nil, wait.ForHTTP("/readyz").WithPort(port+"/tcp"),
			mount(filepath.Join(st.secrets, name), "/run/secrets"), port+"/tcp")
		st.urls[name] = endpoint(t, c, port+"/tcp", "http")
	}
	return st
}

// mount bind-mounts a directory of secrets read-only into a container.
func mount(dir, target string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.Binds = append(hc.Binds, dir+":"+target+":ro")
	})
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// run starts a container with a network alias equal to its name.
func run(t *testing.T, nw *testcontainers.DockerNetwork, name, img string, env map[string]string, extra []string,
	strategy wait.Strategy, secrets testcontainers.CustomizeRequestOption, ports ...string) testcontainers.Container {
	t.Helper()
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(log.TestLogger(t)),
		network.WithNetwork([]string{name}, nw),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(append(ports, extra...)...),
		testcontainers.WithWaitStrategy(strategy),
	}
	if secrets != nil {
		opts = append(opts, secrets)
	}
	c, err := testcontainers.Run(context.Background(), img, opts...)
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
