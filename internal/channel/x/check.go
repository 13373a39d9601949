package x

import (
	"context"
	"fmt"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// CheckTimeout bounds the connection test.
const CheckTimeout = 15 * time.Second

// Check implements channel.Checker: GET /2/users/me signs in with the
// four keys and names the account they act for, which must be the
// channel's user_id (and its handle).
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	c, err := a.clientFor(ch)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	var me struct {
		Data user `json:"data"`
	}
	if err := c.call(ctx, "GET", "/2/users/me", nil, nil, &me); err != nil {
		return []channel.Check{{Name: "account", Detail: err.Error()}}
	}
	check := channel.Check{Name: "account"}
	switch {
	case me.Data.ID != c.s.UserID:
		check.Detail = fmt.Sprintf("the access token acts for @%s (id %s), not for the channel's user_id %s: make the token while signed in as the account, or correct user_id",
			me.Data.Username, me.Data.ID, c.s.UserID)
	case !strings.EqualFold(me.Data.Username, c.s.Handle):
		check.Detail = fmt.Sprintf("signed in as @%s (id %s), but the channel's handle is @%s: correct the handle", me.Data.Username, me.Data.ID, c.s.Handle)
	default:
		check.OK, check.Detail = true, fmt.Sprintf("signed in as @%s (id %s)", me.Data.Username, me.Data.ID)
	}
	return []channel.Check{check}
}
