package webhook_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// The example of the Standard Webhooks specification.
func ExampleSign() {
	key, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	fmt.Println(webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// A receiver checks what the sender's Headers produced.
func ExampleVerify() {
	key, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := []byte(`{"type":"vacancy.matched"}`)
	sent := time.Unix(1_800_000_000, 0)
	h := webhook.Headers(key, "msg_1", sent, body)

	fmt.Println(webhook.Verify(key, h, body, sent.Add(time.Minute), 0))
	fmt.Println(webhook.Verify(key, h, []byte(`{"type":"forged"}`), sent.Add(time.Minute), 0))
	fmt.Println(webhook.Verify(key, h, body, sent.Add(time.Hour), 0) != nil)
	// Output:
	// <nil>
	// webhook: no signature matches
	// true
}

// What a candidate who registers the cloud metadata service is told.
func ExampleCheckURL() {
	err := webhook.CheckURL(context.Background(), "http://169.254.169.254/latest/meta-data/", false, nil)
	fmt.Println(err)
	// Output: alerts cannot be sent to 169.254.169.254: it is a link-local address (where cloud metadata services live); they go only to public internet addresses
}

func ExampleNewClient() {
	client := webhook.NewClient(webhook.ClientConfig{}) // production defaults
	_, err := client.Get("http://127.0.0.1:9/")
	fmt.Println(err)
	// Output: Get "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: address not allowed for webhooks: 127.0.0.1 is a loopback address
}
