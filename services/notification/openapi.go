package notification

import (
	"slices"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/openapi"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Document describes the HTTP API, from the types its handlers answer.
func Document() *openapi.Document {
	d := openapi.New("Clinical Engineering Jobs: notification", buildinfo.Version,
		"A candidate's alert subscriptions (webhook, email, live stream; instant, daily or weekly), their delivery log and live stream, and one-click unsubscribe. Errors are RFC 9457 problem documents.")
	for prop, values := range map[string][]string{
		"channel": jobs.Names[eventsv1.Channel](), "rhythm": jobs.Names[eventsv1.Rhythm](), "weekday": weekdaysFromMonday(),
		"role_families": jobs.Names[eventsv1.RoleFamily](), "specialisms": jobs.Names[eventsv1.Specialism](),
		"min_band": jobs.Names[eventsv1.Band](), "kind": append(jobs.Names[eventsv1.DeliveryKind](), "alert"),
		"outcome": {"delivered", "failed", "held"},
	} {
		d.Enum(prop, values)
	}
	status := map[string]string{}
	problems := []int{400, 401, 404, 409, 413, 415, 422, 500, 503}
	ok := func(what string, body any) map[int]openapi.Response {
		return map[int]openapi.Response{200: {Description: what, Body: body}}
	}
	d.Add("GET", "/healthz", openapi.Operation{Summary: "the process is alive", Responses: ok("alive", status)})
	d.Add("GET", "/readyz", openapi.Operation{Summary: "ready: NATS reachable", Responses: ok("ready", status), Problems: []int{503}})
	d.Add("GET", "/metrics", openapi.Operation{Summary: "Prometheus metrics", Responses: map[int]openapi.Response{200: {Description: "metrics", Body: "", ContentType: "text/plain"}}})
	d.Add("GET", "/openapi.json", openapi.Operation{Summary: "this document", Responses: ok("the document", map[string]any{})})
	subs := "/v1/candidates/{id}/subscriptions"
	one := subs + "/{sid}"
	d.Add("POST", subs, openapi.Operation{Summary: "subscribe: a webhook's signing secret is shown once", Auth: openapi.Candidate,
		Request: SubscriptionInput{}, Responses: map[int]openapi.Response{201: {Description: "the subscription", Body: SubscriptionAnswer{}, Headers: []string{"Location"}}}, Problems: problems})
	d.Add("GET", subs, openapi.Operation{Summary: "the candidate's subscriptions", Auth: openapi.Candidate, Responses: ok("subscriptions", SubscriptionList{}), Problems: problems})
	d.Add("GET", one, openapi.Operation{Summary: "one subscription", Auth: openapi.Candidate, Responses: ok("the subscription", SubscriptionAnswer{}), Problems: problems})
	d.Add("PATCH", one, openapi.Operation{Summary: "change rhythm, hour, weekday, filters or reminders; fields left out keep their value", Auth: openapi.Candidate,
		Request: SubscriptionChange{}, Patch: true, Responses: ok("the subscription", SubscriptionAnswer{}), Problems: problems})
	d.Add("POST", one+"/pause", openapi.Operation{Summary: "pause: nothing is sent, nothing is kept for later", Auth: openapi.Candidate, Responses: ok("the subscription", SubscriptionAnswer{}), Problems: problems})
	d.Add("POST", one+"/resume", openapi.Operation{Summary: "resume", Auth: openapi.Candidate, Responses: ok("the subscription", SubscriptionAnswer{}), Problems: problems})
	d.Add("DELETE", one, openapi.Operation{Summary: "unsubscribe", Auth: openapi.Candidate, Responses: map[int]openapi.Response{204: {Description: "gone"}}, Problems: problems})
	d.Add("GET", "/v1/candidates/{id}/deliveries", openapi.Operation{Summary: "the delivery log: what was sent, what failed for good, what is held", Auth: openapi.Candidate,
		Responses: ok("the log, newest first", DeliveryLog{}), Problems: problems})
	d.Add("GET", "/v1/candidates/{id}/events", openapi.Operation{Summary: "the live stream of alerts (server-sent events); Last-Event-ID resumes after that event", Auth: openapi.Candidate,
		Params:    []openapi.Param{{Name: "Last-Event-ID", In: "header", Description: "the id of the last event received"}},
		Responses: map[int]openapi.Response{200: {Description: "events, each with its stream sequence as id", Body: "", ContentType: "text/event-stream"}}, Problems: problems})
	token := []openapi.Param{{Name: "token", In: "query", Required: true, Description: "the signed token of an email's unsubscribe link"}}
	d.Add("GET", "/v1/unsubscribe", openapi.Operation{Summary: "a page that asks to confirm: a GET never unsubscribes", Params: token,
		Responses: map[int]openapi.Response{200: {Description: "the page", Body: "", ContentType: "text/html"}}, Problems: []int{422}})
	d.Add("POST", "/v1/unsubscribe", openapi.Operation{Summary: "unsubscribe without a login (RFC 8058 one-click)", Params: token,
		RequestTypes: []string{"application/x-www-form-urlencoded", "multipart/form-data"},
		Responses:    map[int]openapi.Response{200: {Description: "unsubscribed (HTML when asked for)", Body: Unsubscribed{}, Alternatives: map[string]any{"text/html": ""}}}, Problems: []int{422}})
	d.AddWebhook("alert", openapi.Operation{Summary: "an alert, POSTed to a webhook subscription's URL with the Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature); emails and live events carry the same JSON",
		Params: []openapi.Param{
			{Name: "webhook-id", In: "header", Required: true, Description: "the delivery's id, the same on every retry: drop one seen before"},
			{Name: "webhook-timestamp", In: "header", Required: true, Description: "Unix seconds of the send"},
			{Name: "webhook-signature", In: "header", Required: true, Description: "v1,<base64 HMAC-SHA256 of id.timestamp.body under the subscription's secret>"},
		},
		Request:   Payload{},
		Responses: map[int]openapi.Response{200: {Description: "any 2xx acknowledges the alert; anything else, or no answer within the time-out, is retried"}}})
	return d
}

// weekdaysFromMonday are the weekdays a weekly digest may go on.
func weekdaysFromMonday() []string { return append(slices.Clone(weekdays[1:]), weekdays[0]) }
