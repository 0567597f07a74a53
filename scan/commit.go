package scan

import (
	"context"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// maxGroup is the most functions one group commit runs.
const maxGroup = 128

// committer runs the transactions of concurrent callers together (group
// commit): a caller's function is committed, with those that arrived while the
// previous group committed, in one transaction, and the caller returns only
// after that commit. A durable store pays one sync per group instead of one per
// caller. A group that fails is run again one function per transaction, so a
// caller gets its own error only.
type committer struct {
	st   store.Store
	once sync.Once
	reqs chan *commitReq
}

type commitReq struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan error
}

func newCommitter(st store.Store) *committer { return &committer{st: st} }

// do runs fn in a transaction shared with other callers and returns when it
// has committed (or failed). fn may run more than once (see store.InTx).
func (c *committer) do(ctx context.Context, fn func(store.Tx) error) error {
	c.once.Do(func() {
		c.reqs = make(chan *commitReq, maxGroup)
		go c.loop()
	})
	r := &commitReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// close ends the goroutine once the callers are done.
func (c *committer) close() {
	c.once.Do(func() { c.reqs = make(chan *commitReq) })
	close(c.reqs)
}

// loop commits groups for as long as the process lives; it holds no
// resources between groups.
func (c *committer) loop() {
	for first := range c.reqs {
		group := []*commitReq{first}
	fill:
		for len(group) < maxGroup {
			select {
			case r := <-c.reqs:
				group = append(group, r)
			default:
				break fill
			}
		}
		c.commit(group)
	}
}

func (c *committer) commit(group []*commitReq) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		live[0].done <- c.st.InTx(context.WithoutCancel(live[0].ctx), live[0].fn)
		return
	}
	err := c.st.InTx(context.Background(), func(tx store.Tx) error {
		for _, r := range live {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, r := range live {
			r.done <- nil
		}
		return
	}
	for _, r := range live {
		r.done <- c.st.InTx(context.WithoutCancel(r.ctx), r.fn)
	}
}
