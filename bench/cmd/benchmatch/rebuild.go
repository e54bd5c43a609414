package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/bench/progress"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natsserver"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching"
)

// rebuild writes the population into the buckets of an embedded JetStream,
// as ingest would have, and times the matching service's rebuild of its
// index from them.
func rebuild(ctx context.Context, cands []*eventsv1.Candidate, vacs []*eventsv1.Vacancy, now time.Time, out io.Writer) (float64, error) {
	dir, err := os.MkdirTemp("", "benchmatch-nats-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	ns, err := natsserver.Start(natsserver.Config{StoreDir: dir, Port: -1}, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		return 0, err
	}
	if err := bus.EnsureShared(ctx, js, 1); err != nil {
		return 0, err
	}
	pub := bus.NewPublisher(js)
	stores := map[string]*bus.Store{}
	for _, b := range []string{bus.BucketCandidates, bus.BucketVacancies} {
		if stores[b], err = bus.NewStore(ctx, js, pub, b); err != nil {
			return 0, err
		}
	}
	p := progress.New(out)
	write := func(what string, store *bus.Store, n int, rec func(i int) (string, *eventsv1.CandidateChanged, *eventsv1.VacancyChanged)) error {
		const batch = 10_000
		for start := 0; start < n; start += batch {
			var cs []bus.Creation
			for i := start; i < min(n, start+batch); i++ {
				key, c, v := rec(i)
				var data []byte
				var err error
				if c != nil {
					data, err = bus.Encode(c)
				} else {
					data, err = bus.Encode(v)
				}
				if err != nil {
					return err
				}
				cs = append(cs, bus.Creation{Key: key, MsgID: key, Data: data})
			}
			for _, r := range stores[what].CreateMany(ctx, cs) {
				if r.Err != nil {
					return r.Err
				}
			}
			p.Tick("writing "+what+" to JetStream", min(n, start+batch), n)
		}
		return nil
	}
	if err := write(bus.BucketCandidates, stores[bus.BucketCandidates], len(cands), func(i int) (string, *eventsv1.CandidateChanged, *eventsv1.VacancyChanged) {
		return partition.Key(cands[i].GetId()), &eventsv1.CandidateChanged{Change: eventsv1.CandidateChange_CANDIDATE_CHANGE_SIGNED_UP, Candidate: cands[i]}, nil
	}); err != nil {
		return 0, err
	}
	if err := write(bus.BucketVacancies, stores[bus.BucketVacancies], len(vacs), func(i int) (string, *eventsv1.CandidateChanged, *eventsv1.VacancyChanged) {
		return vacs[i].GetId(), nil, &eventsv1.VacancyChanged{Change: eventsv1.VacancyChange_VACANCY_CHANGE_POSTED, Vacancy: vacs[i]}
	}); err != nil {
		return 0, err
	}
	svc, err := matching.New(ctx, matching.Config{}, matching.Deps{Log: logging.Discard(), NC: nc, Now: func() time.Time { return now }})
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(out, "timing the matching service's rebuild from JetStream...")
	took, err := svc.Rebuild(ctx)
	if err != nil {
		return 0, err
	}
	n, v := svc.IndexSizes()
	if n != len(cands) || v != len(vacs) {
		return 0, fmt.Errorf("rebuilt %d candidates and %d vacancies of %d and %d", n, v, len(cands), len(vacs))
	}
	return took.Seconds(), nil
}
