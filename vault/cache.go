package vault

import (
	"container/list"
	"sync"
	"time"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// personCache is a bounded, least-recently-used cache of unwrapped person AEADs with
// an expiry per entry. A nil *personCache caches nothing. It is safe for concurrent
// use.
type personCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // front = most recently used; values are *cacheEntry
	byID  map[string]*list.Element
}

type cacheEntry struct {
	id      string
	aead    tink.AEAD
	expires time.Time
}

func newPersonCache(max int, ttl time.Duration, now func() time.Time) *personCache {
	if max <= 0 {
		return nil
	}
	return &personCache{max: max, ttl: ttl, now: now, order: list.New(), byID: make(map[string]*list.Element)}
}

// get returns the cached AEAD for id, if present and not expired.
func (c *personCache) get(id string) (tink.AEAD, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.byID, id)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.aead, true
}

// put caches a for id, evicting the least recently used entry when full.
func (c *personCache) put(id string, a tink.AEAD) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.now().Add(c.ttl)
	if el, ok := c.byID[id]; ok {
		e := el.Value.(*cacheEntry)
		e.aead, e.expires = a, exp
		c.order.MoveToFront(el)
		return
	}
	c.byID[id] = c.order.PushFront(&cacheEntry{id: id, aead: a, expires: exp})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byID, last.Value.(*cacheEntry).id)
	}
}

// evict forgets id.
func (c *personCache) evict(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.Remove(el)
		delete(c.byID, id)
	}
}

// len reports the number of entries (tests).
func (c *personCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
