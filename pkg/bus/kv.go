package bus

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// KVChange is one message of a bucket's stream, as consumers see it.
type KVChange struct {
	Key      string
	Revision uint64
	// Deleted is set for a deletion or purge: the record is gone.
	Deleted bool
	Value   []byte
}

// ParseKV reads a message of bucket's stream.
func ParseKV(bucket string, msg jetstream.Msg) (KVChange, error) {
	key, ok := strings.CutPrefix(msg.Subject(), "$KV."+bucket+".")
	if !ok {
		return KVChange{}, fmt.Errorf("subject %s is not of bucket %s", msg.Subject(), bucket)
	}
	md, err := msg.Metadata()
	if err != nil {
		return KVChange{}, fmt.Errorf("message of %s: %w", bucket, err)
	}
	op := msg.Headers().Get("KV-Operation")
	return KVChange{
		Key:      key,
		Revision: md.Sequence.Stream,
		Deleted:  op == "DEL" || op == "PURGE",
		Value:    msg.Data(),
	}, nil
}
