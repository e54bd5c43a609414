// Package webhook delivers alerts to endpoints that candidates own: it signs
// them as the Standard Webhooks specification (https://www.standardwebhooks.com)
// says, verifies such signatures for receivers, and sends them through an HTTP
// client that will not connect to internal addresses.
//
// A webhook URL is chosen by someone outside, and the service that sends to it
// sits inside a network with databases, NATS, the cloud's metadata service and
// other things no candidate should reach (server-side request forgery). So the
// client checks the address it is about to connect to, in the dialer's Control
// function, after DNS resolution and for every connection, including those
// made for redirects. Checking the URL when it is registered (CheckURL) is not
// enough on its own: a name can resolve to a public address when it is checked
// and to 127.0.0.1 or 169.254.169.254 a second later (DNS rebinding), and an
// endpoint can redirect anywhere. CheckURL is there to give the candidate a
// clear answer early; the check at connect time is the one that holds.
package webhook
