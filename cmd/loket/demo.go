package main

import (
	"context"
	"encoding/json"
	"fmt"

	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// demoArticles are the help-center articles a new desk starts with, so the
// FAQ bot has something to answer from; they are ordinary articles to edit
// or delete.
var demoArticles = []domain.Article{
	{Language: "en", Title: "Which payment methods can I use?", Summary: "Pay by iDEAL, credit card, PayPal or on invoice.",
		Keywords: []string{"payment", "pay", "credit card", "paypal", "invoice"},
		Body: "At checkout you choose **iDEAL**, a credit card (Visa, Mastercard), **PayPal** or payment on invoice " +
			"within 14 days. Your card is charged only when your order ships."},
	{Language: "en", Title: "How do I reset my password?", Summary: "Use the \"Forgot password\" link on the sign-in page.",
		Keywords: []string{"password", "sign in", "login", "account"},
		Body:     "1. Open the sign-in page and choose **Forgot password**.\n2. Enter your e-mail address.\n3. Follow the link in the e-mail within an hour."},
	{Language: "en", Title: "When can I reach you?", Summary: "Chat and phone Monday to Friday 9:00–17:00; e-mail at any time.",
		Keywords: []string{"opening hours", "contact", "phone"},
		Body:     "Our team answers chat and phone on working days from 9:00 to 17:00. E-mail is answered within one working day."},
	{Language: "nl", Title: "Hoe stel ik een nieuw wachtwoord in?", Summary: "Kies \"Wachtwoord vergeten\" op de inlogpagina.",
		Keywords: []string{"wachtwoord", "inloggen", "account"},
		Body:     "Kies **Wachtwoord vergeten** op de inlogpagina, vul je e-mailadres in en volg de link in de e-mail."},
}

// createDemoChat adds a website chat channel with the FAQ bot switched on
// to the demo team, and the articles the bot answers from. It returns the
// channel's id.
func createDemoChat(ctx context.Context, tx *store.Store, teamID int64) (int64, error) {
	settings, _ := json.Marshal(map[string]any{
		"title":    "Support",
		"greeting": map[string]string{"en": "Hi! Ask us anything.", "nl": "Hoi! Stel je vraag.", "de": "Hallo! Wie können wir helfen?"},
		"bot":      map[string]any{"enabled": true, "hours": "always"},
	})
	ch := &domain.Channel{Kind: webchat.Kind, Name: "Website chat (demo)", TeamID: teamID, Enabled: true, Settings: settings}
	// Visitors reach a chat channel through their own tokens; the
	// channel's inbound token is never handed out.
	if err := tx.CreateChannel(ctx, ch, secret.Hash(secret.Token("lki"))); err != nil {
		return 0, fmt.Errorf("demo chat channel: %w", err)
	}
	cat := &domain.KBCategory{Names: map[string]string{"en": "Account and payment", "nl": "Account en betalen", "de": "Konto und Bezahlung"}}
	if err := tx.SaveKBCategory(ctx, cat); err != nil {
		return 0, fmt.Errorf("demo category: %w", err)
	}
	for _, a := range demoArticles {
		a.CategoryID, a.Status = cat.ID, domain.ArticlePublished
		if err := tx.SaveArticle(ctx, &a); err != nil {
			return 0, fmt.Errorf("demo article %q: %w", a.Title, err)
		}
	}
	return ch.ID, nil
}
