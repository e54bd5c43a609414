package notification_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/notification"
)

// TestRequestsTheDocumentForbidsAreRefused sends subscribing and changing a
// subscription the bodies the OpenAPI document forbids (each a valid body
// with one thing wrong, derived from the document's schema: channel left
// out, a wrong type, a value outside its enum or bounds, a URL that is not
// one, an unknown field, a channel in a PATCH): each is refused with a
// problem document. The other way round, the harness's transport fails any
// test whose request the document allows but the API refuses for leaving a
// field out.
func TestRequestsTheDocumentForbidsAreRefused(t *testing.T) {
	t.Parallel()
	h := start(t)
	cid, token := h.candidate("forbidden@example.org")
	doc := notification.Document()
	subs := "/v1/candidates/" + cid + "/subscriptions"
	valid := map[string]any{"channel": "webhook", "url": "http://127.0.0.1:9/hook", "rhythm": "weekly", "hour": 7,
		"weekday": "friday", "role_families": []string{"apprentice"}, "specialisms": []string{"renal"}, "min_band": "4", "reminders": false}
	for _, c := range openapitest.NotNull(openapitest.Forbidden(t, doc, "POST", "/v1/candidates/{id}/subscriptions", valid)) {
		status, header, body := h.send("POST", subs, token, c.Body, nil)
		openapitest.Refused(t, "subscribe: "+c.Name, status, header, body)
	}
	sub := h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": "http://127.0.0.1:9/hook"})
	change := map[string]any{"rhythm": "daily", "hour": 7, "weekday": "friday", "role_families": []string{"apprentice"},
		"specialisms": []string{"renal"}, "min_band": "4", "reminders": false}
	cases := openapitest.NotNull(openapitest.Forbidden(t, doc, "PATCH", "/v1/candidates/{id}/subscriptions/{sid}", change))
	cases = append(cases, openapitest.Case{Name: "a channel", Body: []byte(`{"channel":"email"}`)})
	for _, c := range cases {
		status, header, body := h.send("PATCH", subs+"/"+sub.Subscription.ID, token, c.Body, nil)
		openapitest.Refused(t, "change: "+c.Name, status, header, body)
	}
}
