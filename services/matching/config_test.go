package matching_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/services/matching"
)

// TestConfigPartitions covers the two ways to say what a replica owns: a
// list, or an ordinal and a replica count as a StatefulSet gives them.
func TestConfigPartitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"default all", nil, "0-15", false},
		{"listed", map[string]string{"MATCHING_PARTITIONS": "8-15"}, "8-15", false},
		{"ordinal number", map[string]string{"MATCHING_ORDINAL": "1", "MATCHING_REPLICAS": "4"}, "4-7", false},
		{"pod name", map[string]string{"MATCHING_ORDINAL": "clinjobs-matching-2", "MATCHING_REPLICAS": "3"}, "10-15", false},
		{"one replica", map[string]string{"MATCHING_ORDINAL": "0", "MATCHING_REPLICAS": "1"}, "0-15", false},
		{"both ways", map[string]string{"MATCHING_PARTITIONS": "0-7", "MATCHING_ORDINAL": "0", "MATCHING_REPLICAS": "2"}, "", true},
		{"ordinal alone", map[string]string{"MATCHING_ORDINAL": "0"}, "", true},
		{"replicas alone", map[string]string{"MATCHING_REPLICAS": "2"}, "", true},
		{"ordinal past replicas", map[string]string{"MATCHING_ORDINAL": "clinjobs-matching-2", "MATCHING_REPLICAS": "2"}, "", true},
		{"too many replicas", map[string]string{"MATCHING_ORDINAL": "0", "MATCHING_REPLICAS": "17"}, "", true},
		{"replicas not a number", map[string]string{"MATCHING_ORDINAL": "0", "MATCHING_REPLICAS": "two"}, "", true},
		{"bad list", map[string]string{"MATCHING_PARTITIONS": "16"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := matching.ConfigFromEnv(config.NewReader(config.Map(tt.env)))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && cfg.Partitions.String() != tt.want {
				t.Errorf("partitions %s, want %s", cfg.Partitions, tt.want)
			}
		})
	}
}
