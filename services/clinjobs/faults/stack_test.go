//go:build faults

package faults_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/clinjobs/clinjobs/pkg/imagetest"
	"github.com/clinjobs/clinjobs/pkg/secrets"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// services are the replicas of the system's own services, in the order a
// rolling restart takes them.
var services = []struct{ name, image, port, partitions string }{
	{"ingest-1", "ingest", "8080", ""},
	{"ingest-2", "ingest", "8080", ""},
	{"matching-1", "matching", "8081", "0-7"},
	{"matching-2", "matching", "8081", "8-15"},
	{"notification-1", "notification", "8082", ""},
	{"notification-2", "notification", "8082", ""},
	{"dashboard", "dashboard", "8083", ""},
}

// stack is the clustered system in containers, as docker-compose.yml runs
// it: three NATS nodes (every stream and bucket replicated three times),
// Redis, two ingest replicas, matching split over two partition owners, two
// notification replicas, the dashboard, and Caddy in front as the one
// public base URL the suite posts and reads through.
type stack struct {
	net        *testcontainers.DockerNetwork
	docker     *testcontainers.DockerClient
	gateway    string
	public     string
	containers map[string]testcontainers.Container
	// secrets is the directory of the stack's secrets, as `make up` makes
	// them: each container gets only its own part.
	secrets     string
	operatorKey string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	nw, err := tcnetwork.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close() })
	st := &stack{net: nw, docker: docker, containers: map[string]testcontainers.Container{}, secrets: t.TempDir()}
	if _, err := secrets.Init(st.secrets); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(st.secrets, "operator.key"))
	if err != nil {
		t.Fatal(err)
	}
	st.operatorKey = strings.TrimSpace(string(key))
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
				wait.ForExec([]string{"/probe", "http://127.0.0.1:8222/healthz?js-enabled-only=true"}).
					WithStartupTimeout(2*time.Minute).WithPollInterval(500*time.Millisecond),
				mount(filepath.Join(st.secrets, "nats"), "/etc/nats/secrets"), "4222/tcp")
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
	inspect, err := st.containers["nats-1"].Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.gateway = inspect.NetworkSettings.Networks[nw.Name].Gateway.String()
	redis, err := run(t, nw, "redis", imagetest.Name("redis"), nil, nil, wait.ForLog("Ready to accept connections"),
		mount(filepath.Join(st.secrets, "redis"), "/etc/redis/secrets"), "6379/tcp")
	if err != nil {
		t.Fatal(err)
	}
	st.containers["redis"] = redis
	env := map[string]string{
		"NATS_URL":           "tls://nats-1:4222,tls://nats-2:4222,tls://nats-3:4222",
		"NATS_PASSWORD_FILE": "/run/secrets/nats.password", "NATS_CA_FILE": "/run/secrets/ca.pem",
		"NATS_REPLICAS": "3", "REDIS_ADDR": "redis:6379", "REDIS_PASSWORD_FILE": "/run/secrets/redis.password",
		"ALLOW_PRIVATE_WEBHOOKS": "true", "LOG_LEVEL": "warn",
		"TRUSTED_PROXIES": "172.16.0.0/12,192.168.0.0/16,10.0.0.0/8",
		// The suite is one client posting and reading a steady stream, not
		// a flood: limits out of its way.
		"RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000",
		// Endpoints that fail for a while are tried again within seconds,
		// not the production minutes, so the suite settles in CI's time;
		// the schedule is still long enough that nothing dead-letters.
		"WEBHOOK_TIMEOUT": "3s", "DELIVERY_RETRIES": "2s,5s,10s,20s,30s,1m,5m,30m",
	}
	for _, s := range services {
		e := map[string]string{"HTTP_ADDR": ":" + s.port, "NATS_USER": s.image, "REDIS_USERNAME": s.image}
		for k, v := range env {
			e[k] = v
		}
		if s.image == "ingest" || s.image == "dashboard" {
			e["OPERATOR_KEY_FILE"] = "/run/secrets/operator.key"
		}
		if s.partitions != "" {
			e["MATCHING_PARTITIONS"] = s.partitions
		}
		c, err := run(t, nw, s.name, imagetest.Name(s.image), e, nil,
			wait.ForHTTP("/readyz").WithPort(s.port+"/tcp").WithStartupTimeout(2*time.Minute),
			mount(filepath.Join(st.secrets, s.image), "/run/secrets"), s.port+"/tcp")
		if err != nil {
			t.Fatal(err)
		}
		st.containers[s.name] = c
	}
	proxy, err := run(t, nw, "proxy", imagetest.Name("proxy"), map[string]string{
		"INGEST_UPSTREAMS":       "ingest-1:8080 ingest-2:8080",
		"MATCHING_UPSTREAMS":     "matching-1:8081 matching-2:8081",
		"NOTIFICATION_UPSTREAMS": "notification-1:8082 notification-2:8082",
		"DASHBOARD_UPSTREAMS":    "dashboard:8083",
	}, nil, wait.ForHTTP("/proxy/healthz").WithPort("8000/tcp").WithStartupTimeout(time.Minute), nil, "8000/tcp")
	if err != nil {
		t.Fatal(err)
	}
	st.containers["proxy"] = proxy
	st.public = endpoint(t, proxy, "8000/tcp", "http")
	return st
}

// mount bind-mounts a directory of secrets read-only into a container.
func mount(dir, target string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.Binds = append(hc.Binds, dir+":"+target+":ro")
	})
}

func run(t *testing.T, nw *testcontainers.DockerNetwork, name, img string, env map[string]string, cmd []string,
	strategy wait.Strategy, secrets testcontainers.CustomizeRequestOption, ports ...string) (testcontainers.Container, error) {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(log.TestLogger(t)),
		tcnetwork.WithNetwork([]string{name}, nw),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(ports...),
		testcontainers.WithWaitStrategy(strategy),
	}
	if secrets != nil {
		opts = append(opts, secrets)
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

// kill sends the container SIGKILL: no draining, no goodbye.
func (st *stack) kill(ctx context.Context, name string) error {
	_, err := st.docker.ContainerKill(ctx, st.containers[name].GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
	return err
}

// stop stops the container as an orchestrator does: SIGTERM, and SIGKILL
// if it has not finished in 20 s.
func (st *stack) stop(ctx context.Context, name string) error {
	timeout := 20 * time.Second
	return st.containers[name].Stop(ctx, &timeout)
}

// start starts a stopped container and waits until it is ready again.
func (st *stack) start(ctx context.Context, name string) error {
	c := st.containers[name]
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start %s: %w\n%s", name, err, logsOf(ctx, c))
	}
	return nil
}

// disconnect cuts the container off the stack's network: it keeps running
// but reaches nothing, and nothing reaches it.
func (st *stack) disconnect(ctx context.Context, name string) error {
	_, err := st.docker.NetworkDisconnect(ctx, st.net.ID, client.NetworkDisconnectOptions{
		Container: st.containers[name].GetContainerID(), Force: true,
	})
	return err
}

// reconnect heals the cut, under the same name.
func (st *stack) reconnect(ctx context.Context, name string) error {
	_, err := st.docker.NetworkConnect(ctx, st.net.ID, client.NetworkConnectOptions{
		Container: st.containers[name].GetContainerID(), EndpointConfig: &network.EndpointSettings{Aliases: []string{name}},
	})
	return err
}

// natsOptions are the options of a test's connection to NATS: the
// dashboard's user, which reads every stream's and consumer's state.
func (st *stack) natsOptions(t *testing.T) []nats.Option {
	return e2etest.NATSAs(t, st.secrets, "dashboard")
}

// anyNATS returns the client URL (TLS) of a NATS node that is up.
func (st *stack) anyNATS(ctx context.Context) string {
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		c := st.containers[name]
		if state, err := c.State(ctx); err == nil && state.Running {
			if ep, err := c.PortEndpoint(ctx, "4222/tcp", "tls"); err == nil {
				return ep
			}
		}
	}
	return ""
}

// streamLeader returns the NATS node that leads the most streams (the KV
// buckets' included) and the streams it leads.
func (st *stack) streamLeader(ctx context.Context, t *testing.T) (string, []string, error) {
	nc, err := nats.Connect(st.anyNATS(ctx), st.natsOptions(t)...)
	if err != nil {
		return "", nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", nil, err
	}
	led := map[string][]string{}
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		if info.Cluster != nil && info.Cluster.Leader != "" {
			led[info.Cluster.Leader] = append(led[info.Cluster.Leader], info.Config.Name)
		}
	}
	if err := streams.Err(); err != nil {
		return "", nil, fmt.Errorf("list streams: %w", err)
	}
	leader := ""
	for node, names := range led {
		if leader == "" || len(names) > len(led[leader]) || len(names) == len(led[leader]) && node < leader {
			leader = node
		}
	}
	if leader == "" {
		return "", nil, fmt.Errorf("no stream has a leader")
	}
	return leader, led[leader], nil
}

func logsOf(ctx context.Context, c interface {
	Logs(context.Context) (io.ReadCloser, error)
}) string {
	r, err := c.Logs(ctx)
	if err != nil {
		return err.Error()
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
