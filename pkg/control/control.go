// Package control carries requests between services over NATS request-reply,
// to the endpoints each service registers with the NATS services framework:
// one answer from any replica (queue groups), or, for work split by
// partition, the answers of every replica gathered until the partitions are
// covered. Operator actions and questions one service has of another's data
// travel this way, so that no service reads another's stores.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
)

// HeaderActor names who asked, for the owning service's own logs.
const HeaderActor = "Clinjobs-Actor"

// Timeout bounds a request. Default: 5s.
const Timeout = 5 * time.Second

// Client sends requests.
type Client struct {
	nc *nats.Conn
}

// New returns a client on nc.
func New(nc *nats.Conn) *Client { return &Client{nc: nc} }

// Request sends req to subject and decodes the one answer into resp. An
// error answer becomes a problem of its HTTP status; no answer is Unavailable.
func (c *Client) Request(ctx context.Context, subject, actor string, req, resp any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("request %s: %w", subject, err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	if actor != "" {
		msg.Header.Set(HeaderActor, actor)
	}
	reply, err := c.nc.RequestMsgWithContext(ctx, msg)
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
		return problem.Wrap(problem.Unavailable, err, "the service behind %s is not answering", subject)
	}
	if err != nil {
		return fmt.Errorf("request %s: %w", subject, err)
	}
	if err := replyError(reply); err != nil {
		return err
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(reply.Data, resp); err != nil {
		return fmt.Errorf("answer of %s: %w", subject, err)
	}
	return nil
}

// replyError turns a services-framework error answer into a problem.
func replyError(m *nats.Msg) error {
	desc := m.Header.Get(micro.ErrorHeader)
	if desc == "" {
		return nil
	}
	status, _ := strconv.Atoi(m.Header.Get(micro.ErrorCodeHeader))
	kind := problem.Internal
	for _, k := range []problem.Kind{problem.Invalid, problem.Malformed, problem.NotFound, problem.Conflict,
		problem.Forbidden, problem.PreconditionFailed, problem.Unavailable} {
		if k.Status() == status {
			kind = k
		}
	}
	return &problem.Error{Kind: kind, Detail: desc}
}

// Partial reports partitions that no replica answered for.
type Partial struct{ Missing partition.Set }

func (p Partial) Error() string { return "no answer for partitions " + p.Missing.String() }

// Gather sends req to subject, answered by every replica for the
// partitions it owns ({"partitions": "0-7", ...}), and calls each with every
// answer until answers cover every partition or the time-out; then it
// returns Partial naming what is missing.
func (c *Client) Gather(ctx context.Context, subject, actor string, req any, each func(data []byte) error) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("gather %s: %w", subject, err)
	}
	inbox := c.nc.NewRespInbox()
	sub, err := c.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("gather %s: %w", subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	msg := &nats.Msg{Subject: subject, Reply: inbox, Data: data, Header: nats.Header{}}
	if actor != "" {
		msg.Header.Set(HeaderActor, actor)
	}
	if err := c.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("gather %s: %w", subject, err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	covered := map[int]bool{}
	for len(covered) < partition.Count {
		reply, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			var missing partition.Set
			for p := range partition.Count {
				if !covered[p] {
					missing = append(missing, p)
				}
			}
			return Partial{Missing: missing}
		}
		if err := replyError(reply); err != nil {
			return err
		}
		var head struct {
			Partitions string `json:"partitions"`
		}
		if err := json.Unmarshal(reply.Data, &head); err != nil {
			return fmt.Errorf("answer of %s: %w", subject, err)
		}
		set, err := partition.Parse(head.Partitions)
		if err != nil {
			return fmt.Errorf("answer of %s: %w", subject, err)
		}
		fresh := false
		for _, p := range set {
			fresh = fresh || !covered[p]
			covered[p] = true
		}
		// Two replicas owning the same partitions during a hand-over would
		// count twice: take the first answer for each partition.
		if fresh {
			if err := each(reply.Data); err != nil {
				return err
			}
		}
	}
	return nil
}

// Respond answers a services-framework request with v as JSON, or with err
// as an error answer carrying its HTTP status and detail: the other half of
// Request.
func Respond(req micro.Request, v any, err error) {
	if err != nil {
		d := problem.DetailsOf(err)
		_ = req.Error(strconv.Itoa(d.Status), d.Detail, nil)
		return
	}
	_ = req.RespondJSON(v)
}

// Decode reads a request's JSON body strictly into v.
func Decode(req micro.Request, v any) error {
	return strictjson.Decode(req.Data(), v)
}
