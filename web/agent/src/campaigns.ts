// Campaigns: the form's model and what the server's refusals mean. The
// server chooses the recipients and sends at the campaign's pace; this
// file only turns the form into the request and reads the counts.
import type { MessageKey } from './i18n'
import type { Campaign, CampaignInput } from './types'

export interface CampaignForm {
  name: string
  template: string
  channel_ids: number[]
  send_hours: string
  statuses: string[]
  /** typed, comma separated */
  tags: string
  team_id: number
  rate_per_minute: number
}

export const newCampaignForm = (): CampaignForm => ({
  name: '', template: '', channel_ids: [], send_hours: '08:00-21:00', statuses: ['new', 'open', 'pending'], tags: '', team_id: 0, rate_per_minute: 60,
})

/** campaignInput is the request that starts the campaign the form describes. */
export function campaignInput(f: CampaignForm): CampaignInput {
  return {
    name: f.name.trim(),
    template: f.template,
    channel_ids: f.channel_ids.map(Number).filter((n) => n > 0),
    send_hours: f.send_hours.trim(),
    filter: {
      statuses: [...f.statuses],
      tags: f.tags.split(',').map((x) => x.trim()).filter(Boolean),
      team_id: Number(f.team_id) || 0,
    },
    rate_per_minute: Number(f.rate_per_minute) || 0,
  }
}

/** Refusals of POST /api/v1/campaigns this app explains in the agent's language. */
export const CAMPAIGN_ERRORS: Record<string, MessageKey> = {
  invalid_filter: 'campaign.err.invalid_filter',
  unknown_template: 'campaign.err.unknown_template',
  too_many_recipients: 'campaign.err.too_many_recipients',
  invalid_rate: 'campaign.err.invalid_rate',
  invalid_send_hours: 'campaign.err.invalid_send_hours',
}

/** pending is how many recipients still wait; while any do, the campaign's page refreshes. */
export const pending = (c: Pick<Campaign, 'counts'>) => c.counts?.pending ?? 0
