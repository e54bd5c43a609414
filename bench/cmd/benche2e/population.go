package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clinjobs/clinjobs/bench/progress"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// The population lives on a grid of places 6 km or more apart, GroupSize
// candidates at each, each willing to travel 5 km: a vacancy sited at a
// place matches exactly that place's candidates.
const (
	GroupSize = 10
	gridLons  = 80
	radiusKm  = 5
)

func place(group int) (lat, lon float64) {
	return 50.5 + float64(group/gridLons)*0.06, -5.5 + float64(group%gridLons)*0.1
}

// nowhere is a place no candidate lives near, for vacancies that measure
// ingest alone.
const nowhereLat, nowhereLon = 49.2, -8.8

type candidate struct {
	ID, Token string
	Secret    []byte
}

func candidateProfile(i int) jobs.CandidateInput {
	lat, lon := place(i / GroupSize)
	return jobs.CandidateInput{
		Email: fmt.Sprintf("c%d@bench.example", i), Home: &jobs.PlaceInput{Latitude: &lat, Longitude: &lon},
		TravelRadiusKm: radiusKm, RoleFamilies: []string{"clinical_technologist"}, MinBand: "4",
		Qualifications: &jobs.QualificationsInput{Degree: &jobs.DegreeInput{Subject: "biomedical_engineering", Class: "2:1"}},
	}
}

func vacancyInput(ref string, lat, lon float64, now time.Time) jobs.VacancyInput {
	return jobs.VacancyInput{
		Reference: ref, Title: "Clinical Technologist " + ref, Description: "Medical equipment management across the acute site.",
		RoleFamily: "clinical_technologist", Specialisms: []string{"equipment_management"}, Setting: "acute_hospital",
		Band: "5", Salary: &jobs.SalaryInput{Min: 31049, Max: 37796}, Contract: "permanent", Hours: "full_time",
		Site:        &jobs.SiteInput{Name: "Site " + ref, PlaceInput: jobs.PlaceInput{Latitude: &lat, Longitude: &lon}},
		ClosingDate: jobs.FormatDate(now.Add(30 * 24 * time.Hour)),
		Apply:       &jobs.ApplyInput{URL: "https://www.jobs.nhs.uk/candidate/jobadvert/" + ref},
	}
}

// call makes one JSON request and decodes the answer into out.
func call(ctx context.Context, client *http.Client, method, url, bearer string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// signUp makes n candidates, each with a webhook subscription to the
// receiver, with workers requests in flight.
func signUp(ctx context.Context, s *system, client *http.Client, hookURL string, n, workers int, meter *progress.Meter) ([]candidate, error) {
	cands := make([]candidate, n)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var signed struct {
					Candidate struct {
						ID string `json:"id"`
					} `json:"candidate"`
					Token string `json:"token"`
				}
				if err := call(ctx, client, http.MethodPost, s.Ingest+"/v1/candidates", "", candidateProfile(i), &signed); err != nil {
					errs <- err
					return
				}
				var sub struct {
					Secret string `json:"secret"`
				}
				url := hookURL + "/h/" + strconv.Itoa(i)
				if err := call(ctx, client, http.MethodPost, s.Notify+"/v1/candidates/"+signed.Candidate.ID+"/subscriptions", signed.Token,
					map[string]string{"channel": "webhook", "url": url}, &sub); err != nil {
					errs <- err
					return
				}
				secret, err := webhook.ParseSecret(sub.Secret)
				if err != nil {
					errs <- err
					return
				}
				cands[i] = candidate{ID: signed.Candidate.ID, Token: signed.Token, Secret: secret}
				meter.Tick("signing up candidates", int(done.Add(1)), n)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return cands, ctx.Err()
}
