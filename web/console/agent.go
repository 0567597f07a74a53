package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// agentView is the request page's part on an authorised agent (CCPA Regs
// §7063): where the signed permission stands, and what the role may do.
type agentView struct {
	*dsar.AgentView
	// CanRead: a privacy officer may download the permission; CanDecide:
	// the role may accept or refuse it while it is pending.
	CanRead, CanDecide bool
}

// agentFileExt names the downloaded permission by its sniffed type.
var agentFileExt = map[string]string{"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

// downloadAgentPermission serves the signed permission of the agent who
// filed the request (privacy officers only; dsar records the download).
func (h *Handler) downloadAgentPermission(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// A request not filed by an agent is dsar.ErrNoAgent, a 404 in the
	// error table like any other missing thing; nosniff comes with every
	// console answer (securityHeaders).
	mt, doc, err := h.DSAR.AgentDocument(r.Context(), id)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Disposition", `attachment; filename="agent-permission-`+id+agentFileExt[mt]+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	_, _ = w.Write(doc)
}

// decideAgent accepts (decision=accept) or refuses (decision=refuse, with
// an optional note added to the denial letter) the agent's permission.
func (h *Handler) decideAgent(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "agent permission decided", func(ctx context.Context, id string) (store.Request, error) {
		accept := r.PostFormValue("decision") == "accept"
		note := strings.TrimSpace(r.PostFormValue("note"))
		if !accept && r.PostFormValue("decision") != "refuse" {
			return store.Request{}, errors.Join(errInput, errors.New("choose to accept or refuse the permission"))
		}
		req, err := h.DSAR.DecideAgent(ctx, id, accept, note)
		var filed *dsar.FiledError
		if errors.As(err, &filed) {
			return filed.Request, nil
		}
		return req, err
	})
}
