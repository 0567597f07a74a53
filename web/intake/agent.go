package intake

// Authorised agents (CCPA Regs §7063) on the public form.
//
// The form is posted as multipart/form-data (the urlencoded form other sites
// post still works, without an upload). A person who ticks "I am making this
// request for someone else" gives their own name and address and uploads the
// permission the person signed: at most MaxPermission bytes, a PDF, PNG or
// JPEG as its content shows (http.DetectContentType on the first bytes; the
// file's name and declared type are ignored). A file over the limit stops the
// reading at the limit; every failure shows next to the field and nothing is
// stored. Accepted, the file and the agent's details are encrypted under the
// intake's key in the intake's transaction, with an acknowledgement to the
// agent; the verification message still goes to the person's own address and
// says an agent made the request. When the person confirms, settle moves the
// permission onto the request (dsar.Service.AttachAgent) before the intake's
// key is destroyed; when the intake expires, the permission is deleted.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// MaxPermission is the largest signed permission accepted (5 MiB).
const MaxPermission = 5 << 20

// maxMultipart bounds a whole multipart form: the file and the fields.
const maxMultipart = MaxPermission + maxForm

// permissionTypes are the media types of a signed permission, as sniffed.
var permissionTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true}

// Upload is the file of a posted form.
type Upload struct {
	// MediaType is the sniffed type; Data the content.
	MediaType string
	Data      []byte
}

// Upload errors: ParseForm reports them in Form.UploadErr, so the form is
// shown again with the other fields.
var (
	ErrUploadTooLarge = errors.New("intake: the permission file is larger than 5 MB")
	ErrUploadType     = errors.New("intake: the permission file is not a PDF, PNG or JPEG")
	ErrUploadEmpty    = errors.New("intake: the permission file is empty")
)

// parseMultipart reads a multipart/form-data form: fields of at most maxForm
// bytes in all, one file field "permission" of at most MaxPermission bytes.
// A file over the limit stops the reading (the fields read so far are kept,
// to show the form again); an unknown file field is refused.
func parseMultipart(r *http.Request, boundary string) (Form, error) {
	if r.ContentLength > maxMultipart {
		return Form{UploadErr: ErrUploadTooLarge, Agent: true}, nil
	}
	return readMultipart(io.LimitReader(r.Body, maxMultipart+1), boundary)
}

// readMultipart is parseMultipart on a body (the fuzz target).
func readMultipart(body io.Reader, boundary string) (Form, error) {
	mr := multipart.NewReader(body, boundary)
	v := url.Values{}
	fieldBytes := 0
	var up *Upload
	var upErr error
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if upErr != nil {
				break // the body was cut at the limit inside the file
			}
			return Form{}, err
		}
		name := p.FormName()
		if p.FileName() != "" || name == "permission" {
			if name != "permission" || up != nil || upErr != nil {
				return Form{}, errors.New("intake: an unexpected file in the form")
			}
			data, err := io.ReadAll(io.LimitReader(p, MaxPermission+1))
			switch {
			case len(data) > MaxPermission:
				upErr = ErrUploadTooLarge
			case err != nil:
				return Form{}, err
			case len(data) == 0:
				// An empty file input posts an empty part: no file given.
			default:
				up, upErr = sniff(data)
			}
			if errors.Is(upErr, ErrUploadTooLarge) {
				break // stop reading: the rest is not wanted
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, int64(maxForm-fieldBytes+1)))
		if err != nil {
			return Form{}, err
		}
		fieldBytes += len(b)
		if fieldBytes > maxForm {
			return Form{}, ErrFormTooLarge
		}
		v.Add(name, string(b))
	}
	f, err := formOf(v)
	if err != nil {
		return Form{}, err
	}
	f.Upload, f.UploadErr = up, upErr
	return f, nil
}

// sniff checks a permission's content: a PDF, PNG or JPEG, whatever its name.
func sniff(data []byte) (*Upload, error) {
	if len(data) == 0 {
		return nil, ErrUploadEmpty
	}
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	if !permissionTypes[mt] {
		return nil, ErrUploadType
	}
	return &Upload{MediaType: mt, Data: data}, nil
}

// agentFields reads the agent's part of a form's values.
func agentFields(f *Form, get func(string) string) {
	f.Agent = get("agent") == "yes"
	f.AgentName, f.AgentEmail = get("agent_name"), get("agent_email")
}

// checkAgent validates the agent's part of f (nothing when the form is not
// an agent's): a name, an address that is not the person's, the file.
func checkAgent(f Form) []fieldError {
	if !f.Agent {
		if f.Upload != nil || f.UploadErr != nil {
			return []fieldError{{"agent", "Tick “I am making this request for someone else” to send a signed permission, or remove the file."}}
		}
		return nil
	}
	var errs []fieldError
	if f.AgentName == "" || len(f.AgentName) > 200 {
		errs = append(errs, fieldError{"agent_name", "Enter your full name (the agent's)."})
	}
	if _, err := (dsar.Identifiers{Emails: []string{f.AgentEmail}}).Normalized(); err != nil || f.AgentEmail == "" {
		errs = append(errs, fieldError{"agent_email", "Enter your own e-mail address (the agent's) like name@example.com."})
	} else if strings.EqualFold(strings.TrimSpace(f.AgentEmail), strings.TrimSpace(f.Email)) {
		errs = append(errs, fieldError{"agent_email", "Your address must be different from the person's: we ask the person to confirm the request from their own address."})
	}
	switch {
	case errors.Is(f.UploadErr, ErrUploadTooLarge):
		errs = append(errs, fieldError{"permission", "The signed permission is larger than 5 MB. Send a smaller PDF, PNG or JPEG file (a scan at a lower resolution)."})
	case errors.Is(f.UploadErr, ErrUploadType):
		errs = append(errs, fieldError{"permission", "The signed permission must be a PDF, PNG or JPEG file. Save or scan it in one of these formats."})
	case f.UploadErr != nil || f.Upload == nil:
		errs = append(errs, fieldError{"permission", "Attach the permission the person signed (a PDF, PNG or JPEG file of at most 5 MB)."})
	}
	return errs
}

// agentUpload is what file stores for an agent.
type agentUpload struct {
	agent  dsar.Agent
	upload *Upload
}

func (f Form) agentPart() *agentUpload {
	if !f.Agent || f.Upload == nil {
		return nil
	}
	return &agentUpload{agent: dsar.Agent{Name: f.AgentName, Email: strings.TrimSpace(f.AgentEmail)}, upload: f.Upload}
}

func agentDocAAD(permID, column string) vault.AAD {
	return vault.AAD{Table: "agent_permissions", Column: column, Row: permID}
}

// storeAgent writes, inside the intake's transaction, the agent's permission
// encrypted under the intake's key and the acknowledgement to the agent.
func (h *Handler) storeAgent(ctx context.Context, tx store.Tx, intakeID string, d messages.Data, j deadline.Jurisdiction, ag *agentUpload) error {
	permID := store.NewID("agp_")
	v := h.o.Vault.With(tx)
	docEnc, err := v.Encrypt(ctx, keyID(intakeID), agentDocAAD(permID, "document_enc"), ag.upload.Data)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(ag.agent)
	if err != nil {
		return err
	}
	agentEnc, err := v.Encrypt(ctx, keyID(intakeID), agentDocAAD(permID, "agent_enc"), plain)
	if err != nil {
		return err
	}
	if _, err := tx.CreateAgentPermission(ctx, store.AgentPermission{ID: permID, IntakeID: intakeID, MediaType: ag.upload.MediaType,
		Size: int64(len(ag.upload.Data)), DocumentEnc: docEnc, AgentEnc: agentEnc, CreatedAt: h.now()}); err != nil {
		return err
	}
	d.VerifyURL, d.Code = "", ""
	rendered, err := h.o.Templates.Render(messages.AgentAcknowledgement, j, h.o.Lang, d)
	if err != nil {
		return err
	}
	_, _, err = h.o.Outbox.Enqueue(ctx, tx, mail.Message{Kind: string(messages.AgentAcknowledgement), DedupKey: "intake/" + intakeID + "/agent_acknowledgement",
		To: ag.agent.Email, Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML})
	return err
}

// attachAgent moves the permission of intake in, if any, onto the request r
// inside the filing's transaction, before the intake's key is destroyed.
func (h *Handler) attachAgent(ctx context.Context, tx store.Tx, in store.Intake, r store.Request) error {
	p, err := tx.AgentPermissionByIntake(ctx, in.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	v := h.o.Vault.With(tx)
	doc, err := v.Decrypt(ctx, keyID(in.ID), agentDocAAD(p.ID, "document_enc"), p.DocumentEnc)
	if err != nil {
		return err
	}
	plain, err := v.Decrypt(ctx, keyID(in.ID), agentDocAAD(p.ID, "agent_enc"), p.AgentEnc)
	if err != nil {
		return err
	}
	var ag dsar.Agent
	if err := json.Unmarshal(plain, &ag); err != nil {
		return err
	}
	return h.o.DSAR.AttachAgent(ctx, tx, r, p, doc, ag)
}

// hasAgent reports whether an intake was made by an agent.
func (h *Handler) hasAgent(ctx context.Context, intakeID string) bool {
	_, err := h.o.Store.AgentPermissionByIntake(ctx, intakeID)
	return err == nil
}
