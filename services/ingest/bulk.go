package ingest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/ingest/internal/bulk"
	"github.com/clinjobs/clinjobs/services/ingest/internal/idempotency"
)

// BulkResult answers one vacancy of a bulk post.
type BulkResult struct {
	// Line is the line of an NDJSON body, or the position (from 1) in a
	// JSON array.
	Line     int              `json:"line"`
	Status   int              `json:"status"`
	ID       string           `json:"id,omitempty"`
	Location string           `json:"location,omitempty"`
	Problem  *problem.Details `json:"problem,omitempty"`
}

// BulkAnswer answers a bulk post, one result per vacancy, in order.
type BulkAnswer struct {
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	Results  []BulkResult `json:"results"`
}

// bulkPost posts many vacancies; each is answered on its own, and a bad one
// never stops the good ones. With an Idempotency-Key, a retry of the same
// body answers each vacancy as the first time (created, with its id).
func (s *Service) bulkPost(c *gin.Context) {
	body, err := httpserver.ReadBody(c, "application/x-ndjson", "application/jsonl", "application/json")
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	docs, lines, err := bulk.Split(c.ContentType(), body, s.cfg.MaxBulkItems)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	trust := trustOf(c)
	var idemKey string
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		if err := idempotency.Check(k); err != nil {
			httpserver.Fail(c, err)
			return
		}
		// The entry only remembers the body: each vacancy is itself
		// idempotent, keyed by the bulk key and its line.
		idemKey = idempotency.Key("trust."+trust.GetCode()+".bulk", k)
		reqHash := requestHash(c, body)
		e, _, err := s.idem.Get(ctx, idemKey, reqHash)
		if err == nil && e == nil {
			_, _, err = s.idem.Begin(ctx, idemKey, &idempotency.Entry{RequestHash: reqHash, Done: true})
		}
		if err != nil {
			httpserver.Fail(c, err)
			return
		}
	}
	now := s.now()
	actor := c.GetString(auth.ContextActor)
	out := BulkAnswer{Results: make([]BulkResult, len(docs))}
	var creations []bus.Creation
	var at []int
	var records []*eventsv1.VacancyChanged
	for i, doc := range docs {
		out.Results[i].Line = lines[i]
		var in jobs.VacancyInput
		var rec *eventsv1.VacancyChanged
		err := strictjson.Decode(doc, &in)
		if err == nil {
			var lineKey []byte
			if idemKey != "" {
				h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", idemKey, lines[i]))
				lineKey = h[:]
			}
			rec, err = s.newVacancy(ctx, trust, &in, actor, now, lineKey)
		}
		var data []byte
		if err == nil {
			data, err = bus.Encode(rec)
		}
		if err != nil {
			s.reject(&out.Results[i], err)
			continue
		}
		id := rec.GetVacancy().GetId()
		creations = append(creations, bus.Creation{Key: id, MsgID: postMsgID(id), Data: data})
		at = append(at, i)
		records = append(records, rec)
	}
	for j, res := range s.vacancies.CreateMany(ctx, creations) {
		r := &out.Results[at[j]]
		rec := records[j]
		id := rec.GetVacancy().GetId()
		err := res.Err
		if errors.Is(err, bus.ErrExists) {
			err = s.sameLine(c, id, rec.GetIdempotencyKeyHash())
		}
		if err != nil {
			s.reject(r, err)
			continue
		}
		r.Status, r.ID, r.Location = http.StatusCreated, id, "/v1/vacancies/"+id
	}
	for _, r := range out.Results {
		if r.Status == http.StatusCreated {
			out.Accepted++
		} else {
			out.Rejected++
		}
	}
	c.JSON(http.StatusOK, out)
}

// sameLine decides a bulk vacancy whose id is taken: the same line of a
// retried bulk post (same key) is the vacancy it created; anything else
// wants a reference that is used already.
func (s *Service) sameLine(c *gin.Context, id string, lineKey []byte) error {
	var existing eventsv1.VacancyChanged
	if _, err := s.vacancies.Get(c.Request.Context(), id, &existing); err != nil {
		return err
	}
	if lineKey != nil && bytes.Equal(existing.GetIdempotencyKeyHash(), lineKey) {
		return nil
	}
	return problem.New(problem.Conflict, "reference %s is used by vacancy %s already", existing.GetVacancy().GetReference(), id)
}

func (s *Service) reject(r *BulkResult, err error) {
	d := problem.DetailsOf(err)
	if d.Status >= 500 {
		s.log.Error("bulk vacancy failed", "line", r.Line, "err", err)
	}
	r.Status, r.Problem = d.Status, &d
}
