package sqlcore

import (
	"context"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// PersonKeyIDs implements store.PersonKeyIDLister. The prefix is matched by
// equality with the id's first characters (text equality is byte equality on
// both databases), so the result does not depend on the collation the ids sort
// by; the lower bound id >= prefix (no string sorts before its own prefix) only
// lets the primary key's index skip the ids before it.
func (o *Ops) PersonKeyIDs(ctx context.Context, prefix, afterID string, limit int) ([]string, error) {
	if prefix == "" {
		return nil, fmt.Errorf("%w: person key id prefix is empty", store.ErrInvalid)
	}
	if limit <= 0 {
		limit = 100
	}
	var out []string
	err := o.queryAll(ctx, `SELECT id FROM person_keys WHERE id >= $1 AND id > $2 AND substr(id, 1, $3) = $1
		ORDER BY id LIMIT $4`, []any{prefix, afterID, int64(len([]rune(prefix))), int64(limit)}, func(r Rows) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

var _ store.PersonKeyIDLister = (*Ops)(nil)
