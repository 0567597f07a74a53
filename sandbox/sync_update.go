package sandbox

// UpdateContact imitates an edit made in Intercom's inbox: it sets the given
// custom attributes on the live contact id (a nil map changes none), moves its
// updated_at to the sandbox's clock, and sends the contact.<role>.updated
// notification when webhooks are configured. It reports false, changing
// nothing, for an unknown, deleted, archived or merged contact. The minimal
// sync's tests use it to make contacts that an incremental run must pick up.
func (s *Server) UpdateContact(id string, attrs map[string]string) bool {
	ws := s.ws
	ws.mu.Lock()
	c, ok := ws.contacts[id]
	if !ok || ws.deleted[id] || !live(c) {
		ws.mu.Unlock()
		return false
	}
	if len(attrs) > 0 {
		m := make(map[string]string, len(c.CustomAttributes)+len(attrs))
		for k, v := range c.CustomAttributes {
			m[k] = v
		}
		for k, v := range attrs {
			m[k] = v
		}
		c.CustomAttributes = m
	}
	c.UpdatedAt = s.opts.Now().Unix()
	item := contactItem(c)
	topic := "contact." + c.Role + ".updated"
	ws.mu.Unlock()
	s.notify(topic, item)
	return true
}
