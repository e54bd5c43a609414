package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/ingest/internal/idempotency"
)

// creation is a record to create and the answer that says it was created.
type creation struct {
	store  *bus.Store
	key    string
	msgID  string
	record []byte
	status int
	body   any
	// once, when set, is the answer to the request that makes the record,
	// holding a secret shown once (a candidate's token); body, kept for
	// replays of its Idempotency-Key, holds no secret.
	once   any
	header map[string]string
	// conflict answers a create that finds the key taken by another record.
	conflict func(ctx context.Context) error
}

// requestHash identifies a request for the Idempotency-Key rules: the same
// key on another route or with another body is another request.
func requestHash(c *gin.Context, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(c.Request.Method + " " + c.FullPath() + "\x00"))
	h.Write(body)
	return h.Sum(nil)
}

// create makes a record once per Idempotency-Key of scope. prepare builds
// the record and its answer and runs only for a key not seen before; it is
// given the key's bucket key (nil without an Idempotency-Key), which the
// record keeps so that erasing it can erase the key's entry too.
func (s *Service) create(c *gin.Context, scope string, body []byte, prepare func(idemKey []byte) (*creation, error)) {
	ctx := c.Request.Context()
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		cr, err := prepare(nil)
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		rev, err := cr.store.CreateEncoded(ctx, cr.key, cr.msgID, cr.record)
		if errors.Is(err, bus.ErrExists) {
			err = cr.conflict(ctx)
		}
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		answer := cr.body
		if cr.once != nil {
			answer = cr.once
		}
		data, err := json.Marshal(answer)
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		reply(c, cr.status, withETag(cr.header, rev), data)
		return
	}
	if err := idempotency.Check(key); err != nil {
		httpserver.Fail(c, err)
		return
	}
	ikey := idempotency.Key(scope, key)
	reqHash := requestHash(c, body)
	e, rev, err := s.idem.Get(ctx, ikey, reqHash)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	var cr *creation
	if e == nil {
		if cr, err = prepare([]byte(ikey)); err != nil {
			httpserver.Fail(c, err)
			return
		}
		data, err := json.Marshal(cr.body)
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		e, rev, err = s.idem.Begin(ctx, ikey, &idempotency.Entry{
			RequestHash: reqHash, Status: cr.status, Body: data, Header: cr.header,
			Write: idempotency.Write{Bucket: cr.store.Bucket(), Key: cr.key, MsgID: cr.msgID, Record: cr.record},
		})
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
	}
	if !e.Done {
		// This request, or an earlier one that stopped half way, has yet
		// to make the write: make it, the same every time.
		store := s.store(e.Write.Bucket)
		recRev, err := store.CreateEncoded(ctx, e.Write.Key, e.Write.MsgID, e.Write.Record)
		if errors.Is(err, bus.ErrExists) {
			var existing []byte
			existing, recRev, err = store.GetEncoded(ctx, e.Write.Key)
			if err == nil && !bytes.Equal(existing, e.Write.Record) {
				// Another request took the key: the answer prepared is not
				// true, and is forgotten.
				_ = s.idem.Forget(ctx, ikey)
				if cr != nil {
					err = cr.conflict(ctx)
				} else {
					err = problem.New(problem.Conflict, "the record this request would create exists already")
				}
			}
		}
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
		e.Header = withETag(e.Header, recRev)
		if err := s.idem.Finish(ctx, ikey, e, rev); err != nil {
			s.log.WarnContext(ctx, "idempotency entry not finished; a retry will find the write made", "err", err)
		}
		if cr != nil && cr.once != nil {
			// This request made the record: it alone gets the secret.
			data, err := json.Marshal(cr.once)
			if err != nil {
				httpserver.Fail(c, err)
				return
			}
			reply(c, e.Status, e.Header, data)
			return
		}
	}
	reply(c, e.Status, e.Header, e.Body)
}

func withETag(h map[string]string, rev uint64) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	out["ETag"] = httpserver.ETag(rev)
	return out
}

func reply(c *gin.Context, status int, header map[string]string, body []byte) {
	for k, v := range header {
		c.Header(k, v)
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

func (s *Service) store(bucket string) *bus.Store {
	switch bucket {
	case s.candidates.Bucket():
		return s.candidates
	case s.trusts.Bucket():
		return s.trusts
	}
	return s.vacancies
}
