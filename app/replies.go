package app

import (
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/tagintake"
)

// openReplies builds the replies in Intercom (intake.intercom reply: true,
// reply_as: comment): the milestones of a request filed from a conversation
// or ticket are also written as replies the customer sees, in the same
// transactions as their e-mail (DSAR.Messenger wraps the e-mail messenger),
// and posted by the workers. It needs an Intercom client; the texts are the
// messages' templates, loaded here when no mail server is configured.
func (a *App) openReplies(s Settings) error {
	ic := s.Config.Intake.Intercom
	if !ic.CustomerReplies() || a.Intercom == nil {
		return nil
	}
	svc := a.Messages
	if svc == nil {
		tpl, err := messages.Load(TemplatesDir(s.Config, s.ConfigPath))
		if err != nil {
			return &ConfigError{Where: s.configWhere(), Err: err}
		}
		svc = &messages.Service{Templates: tpl, Config: s.Config, Lang: s.Config.Mail.Language}
	}
	a.Replies = &tagintake.Replies{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom, Messages: svc,
		AdminID: ic.AdminID, Actor: s.Actor, Logger: s.Logger, Now: s.Now}
	if err := a.Replies.Check(); err != nil {
		return &ConfigError{Where: s.configWhere(), Err: err}
	}
	a.DSAR.Messenger = &tagintake.Messenger{Next: a.DSAR.Messenger, Replies: a.Replies}
	return nil
}
