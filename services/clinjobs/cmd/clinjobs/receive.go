package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// receive serves a webhook endpoint at addr that prints every alert it gets,
// and checks its signature when WEBHOOK_SECRET is set: a way to see alerts
// arrive without an endpoint of one's own.
func receive(ctx context.Context, addr string, stdout io.Writer) error {
	var key []byte
	if s := os.Getenv("WEBHOOK_SECRET"); s != "" {
		k, err := webhook.ParseSecret(s)
		if err != nil {
			return err
		}
		key = k
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "POST an alert", http.StatusBadRequest)
			return
		}
		verdict := "signature not checked (set WEBHOOK_SECRET)"
		if key != nil {
			verdict = "signature verified"
			if err := webhook.Verify(key, r.Header, body, time.Now(), 0); err != nil {
				verdict = "REFUSED: " + err.Error()
				w.WriteHeader(http.StatusUnauthorized)
			}
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "  ", "  ") != nil {
			pretty.Write(body)
		}
		fmt.Fprintf(stdout, "%s %s webhook-id %s, %s\n  %s\n", time.Now().Format(time.TimeOnly), r.URL.Path,
			r.Header.Get(webhook.HeaderID), verdict, pretty.String())
	})}
	fmt.Fprintf(stdout, "Receiving webhooks at http://%s/ (Ctrl-C stops).\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
