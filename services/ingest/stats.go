package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/clinjobs/clinjobs/pkg/control"
)

// The subjects of the other services' endpoints ingest asks.
const (
	subjectMatchCounts  = "clinjobs.matching.counts"
	subjectAlerted      = "clinjobs.notification.alerted"
	subjectMatchExport  = "clinjobs.matching.candidate.export"
	subjectNotifyExport = "clinjobs.notification.candidate.export"
)

// stats gathers a vacancy's counts from the services that hold them.
func (s *Service) stats(ctx context.Context, vacancyID, actor string) VacancyStats {
	out := VacancyStats{VacancyID: vacancyID, Complete: true}
	var missing []string
	req := map[string]any{"vacancy_ids": []string{vacancyID}}
	err := s.control.Gather(ctx, subjectMatchCounts, actor, req, func(data []byte) error {
		var part struct {
			Counts map[string]int `json:"counts"`
		}
		if err := json.Unmarshal(data, &part); err != nil {
			return err
		}
		out.Matched += part.Counts[vacancyID]
		return nil
	})
	var partial control.Partial
	switch {
	case errors.As(err, &partial):
		missing = append(missing, "matches of candidate partitions "+partial.Missing.String())
	case err != nil:
		missing = append(missing, "matches: "+err.Error())
	}
	var alerted struct {
		Counts map[string]int `json:"counts"`
	}
	if err := s.control.Request(ctx, subjectAlerted, actor, req, &alerted); err != nil {
		missing = append(missing, "alerts: the notification service did not answer")
	} else {
		out.Alerted = alerted.Counts[vacancyID]
	}
	if len(missing) > 0 {
		out.Complete, out.Missing = false, strings.Join(missing, "; ")
	}
	return out
}
