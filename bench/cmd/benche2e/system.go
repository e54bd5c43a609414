package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/bus"
)

// system is the all-in-one as a process of its own (so that its memory
// and CPU are its own), and the Redis it caches matches in, a container of
// the locally built image.
type system struct {
	cmd       *exec.Cmd
	dir       string
	redis     string // container id
	RedisAddr string
	NATSURL   string
	Ingest    string
	Matching  string
	Notify    string
	Operator  string
	Pprof     string
	Binary    string
}

// natsAs returns the options of a connection to the all-in-one's server as
// one of its services' users, with the secrets it made at start.
func (s *system) natsAs(user string) ([]nats.Option, error) {
	dir := filepath.Join(s.dir, "data", "secrets")
	pw, err := os.ReadFile(filepath.Join(dir, user, "nats.password"))
	if err != nil {
		return nil, fmt.Errorf("nats credentials: %w", err)
	}
	return []nats.Option{
		nats.UserInfo(user, strings.TrimSpace(string(pw))),
		nats.RootCAs(filepath.Join(dir, "ca", "ca.pem")),
		nats.CustomInboxPrefix(bus.InboxPrefix(user)),
	}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startSystem builds and starts the all-in-one and Redis.
func startSystem(ctx context.Context, root, image string) (*system, error) {
	s := &system{}
	var err error
	if s.dir, err = os.MkdirTemp("", "benche2e-"); err != nil {
		return nil, err
	}
	// A throwaway Redis for the run, published on loopback only: without
	// the stack's ACL file, which the image's own command needs.
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "-p", "127.0.0.1::6379", image,
		"--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/data").Output()
	if err != nil {
		return s, fmt.Errorf("start redis (%s; make images builds it): %w", image, err)
	}
	s.redis = strings.TrimSpace(string(out))
	port, err := exec.CommandContext(ctx, "docker", "port", s.redis, "6379/tcp").Output()
	if err != nil {
		return s, fmt.Errorf("redis port: %w", err)
	}
	s.RedisAddr = strings.TrimSpace(strings.Split(string(port), "\n")[0])
	bin := filepath.Join(s.dir, "clinjobs")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./services/clinjobs/cmd/clinjobs")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("build the all-in-one: %w", err)
	}
	ports := make([]int, 6)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return s, err
		}
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	s.NATSURL = "tls://" + addr(ports[0])
	s.Ingest, s.Matching, s.Notify = "http://"+addr(ports[1]), "http://"+addr(ports[2]), "http://"+addr(ports[3])
	s.Pprof, s.Binary = "http://"+addr(ports[5]), bin
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(),
		"DATA_DIR="+filepath.Join(s.dir, "data"), "NATS_HOST=127.0.0.1", "NATS_PORT="+strconv.Itoa(ports[0]),
		"INGEST_ADDR="+addr(ports[1]), "MATCHING_ADDR="+addr(ports[2]), "NOTIFICATION_ADDR="+addr(ports[3]),
		"DASHBOARD_ADDR="+addr(ports[4]), "WEB_ADDR=127.0.0.1:0", "REDIS_ADDR="+s.RedisAddr, "ALLOW_PRIVATE_WEBHOOKS=true",
		// The load comes from one address and signs up a whole population.
		"RATE_LIMIT_PER_MINUTE=1000000000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE=1000000000",
		"LOG_LEVEL=warn", "LOG_FORMAT=text", "PPROF_ADDR="+addr(ports[5]),
	)
	var logs bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &logs, os.Stderr
	if err := s.cmd.Start(); err != nil {
		return s, fmt.Errorf("start the all-in-one: %w", err)
	}
	for _, u := range []string{s.Ingest, s.Matching, s.Notify} {
		if err := waitReady(ctx, u+"/readyz", time.Minute); err != nil {
			return s, err
		}
	}
	key, err := os.ReadFile(filepath.Join(s.dir, "data", "operator.key"))
	if err != nil {
		return s, fmt.Errorf("operator key: %w", err)
	}
	s.Operator = strings.TrimSpace(string(key))
	return s, nil
}

func waitReady(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", url, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop ends the all-in-one (SIGINT, as Ctrl-C) and Redis, and removes
// the data.
func (s *system) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	if s.redis != "" {
		_ = exec.Command("docker", "rm", "-f", s.redis).Run()
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// profile records the all-in-one's CPU profile for d into path, and returns
// its top functions as go tool pprof prints them.
func (s *system) profile(ctx context.Context, d time.Duration, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Pprof+"/debug/pprof/profile?seconds="+strconv.Itoa(int(d.Seconds())), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", s.Binary, path).Output()
	return string(top), err
}

// usage is the process's resident memory and CPU time so far.
type usage struct {
	RSSBytes int64
	CPU      time.Duration
}

func (s *system) usage() (usage, error) {
	pid := strconv.Itoa(s.cmd.Process.Pid)
	var u usage
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			u.RSSBytes = kb * 1024
		}
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return u, err
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks of 1/100 s.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	u.CPU = time.Duration(ut+st) * 10 * time.Millisecond
	return u, nil
}
